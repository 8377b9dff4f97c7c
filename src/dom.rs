//! Small helpers for the page: focus, and input clean-up.

use leptos::html::ElementType;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Move the focus to `node` once it is on the page, so each new step
/// starts in its first field; unless a field has it already (the one the
/// user was typing in when the app took the server's page over).
pub fn focus_on_mount<E>(node: NodeRef<E>)
where
    E: ElementType,
    E::Output: JsCast + Clone + 'static,
{
    Effect::new(move |_| {
        let in_a_field = document()
            .active_element()
            .is_some_and(|element| element.tag_name().eq_ignore_ascii_case("input"));
        if !in_a_field
            && let Some(element) = node.get()
            && let Some(element) = element.dyn_ref::<web_sys::HtmlElement>()
        {
            let _ = element.focus();
        }
    });
}

/// The digits of `typed`, at most six: what a one-time-password field keeps.
pub fn only_digits(typed: &str) -> String {
    typed.chars().filter(char::is_ascii_digit).take(6).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_six_digits() {
        assert_eq!(only_digits("12 34-56"), "123456");
        assert_eq!(only_digits("1234567"), "123456");
        assert_eq!(only_digits("abc"), "");
    }
}
