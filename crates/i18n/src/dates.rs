//! Dates as the devices screen shows them, from seconds since the Unix
//! epoch (UTC): `1-12-2026` in Dutch, `2026-12-01` in English.

#[cfg(any(feature = "devices", not(target_arch = "wasm32")))]
use aanmelden_api::Device;

use crate::Lang;

/// "iPhone: toegevoegd op 1-12-2026, laatst gebruikt op 3-12-2026".
#[cfg(any(feature = "devices", not(target_arch = "wasm32")))]
pub fn device_time(device: &Device, lang: Lang) -> String {
    use crate::Key;
    let added = Key::DeviceAddedOn.fill(lang, "date", &date(device.activated_at, lang));
    let used = match device.last_used_at {
        Some(at) => Key::DeviceUsedOn.fill(lang, "date", &date(at, lang)),
        None => Key::DeviceNotUsed.text(lang).to_owned(),
    };
    format!("{}: {added}, {used}", device.name)
}

/// The day of `at` in `lang`'s usual writing.
pub fn date(at: i64, lang: Lang) -> String {
    let (year, month, day) = civil(at);
    match lang {
        Lang::Nl => format!("{day}-{month}-{year}"),
        Lang::En => format!("{year:04}-{month:02}-{day:02}"),
    }
}

/// Year, month and day of `at` (Howard Hinnant's `civil_from_days`).
pub fn civil(at: i64) -> (i64, i64, i64) {
    let z = at.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_as_each_language_does() {
        assert_eq!(date(0, Lang::Nl), "1-1-1970");
        assert_eq!(date(1_795_000_000, Lang::Nl), "18-11-2026");
        assert_eq!(date(1_795_000_000, Lang::En), "2026-11-18");
        assert_eq!(civil(951_782_400), (2000, 2, 29));
        assert_eq!(civil(951_868_799), (2000, 2, 29));
        assert_eq!(civil(-1), (1969, 12, 31));
    }

    #[cfg(any(feature = "devices", not(target_arch = "wasm32")))]
    #[test]
    fn a_device_tells_when_it_was_added_and_last_used() {
        let mut device = Device {
            id: 1,
            name: "iPhone".into(),
            activated_at: 1_795_000_000,
            last_used_at: None,
        };
        assert_eq!(
            device_time(&device, Lang::Nl),
            "iPhone: toegevoegd op 18-11-2026, nog niet gebruikt"
        );
        device.last_used_at = Some(1_795_000_000 + 86_400);
        assert_eq!(
            device_time(&device, Lang::En),
            "iPhone: added on 2026-11-18, last used on 2026-11-19"
        );
    }
}
