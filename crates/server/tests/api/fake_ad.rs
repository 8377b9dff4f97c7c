//! A stand-in for Active Directory, in process, on a free port of
//! 127.0.0.1 (LDAP by `ldap3_proto`): binds refused with AD's own error
//! texts and sub-codes (`…AcceptSecurityContext error, data 773, v4563`),
//! users with a binary `objectGUID` and `userAccountControl`, and groups
//! found by the in-chain matching rule. Only what the portal asks of AD.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use ldap3_proto::LdapCodec;
use ldap3_proto::proto::{
    LdapBindResponse, LdapFilter, LdapMsg, LdapOp, LdapPartialAttribute, LdapResult,
    LdapResultCode, LdapSearchResultEntry,
};
use ldap3_proto::simple::ServerOps;
use tokio_util::codec::{FramedRead, FramedWrite};

/// Where the users and groups are, as in a fresh domain.
pub const USERS: &str = "cn=Users,dc=ad,dc=example,dc=test";
pub const SERVICE_DN: &str = "cn=aanmelden,cn=Users,dc=ad,dc=example,dc=test";
pub const SERVICE_PASSWORD: &str = "service secret";

/// AD's rule that follows groups of groups.
const IN_CHAIN: &str = "1.2.840.113556.1.4.1941";

/// `userAccountControl` of a normal account, and of a disabled one.
pub const NORMAL_ACCOUNT: u32 = 512;
pub const DISABLED_ACCOUNT: u32 = 514;

/// An account of the fake domain.
#[derive(Clone)]
pub struct AdUser {
    pub sam: &'static str,
    pub password: &'static str,
    /// What a bind with the right password answers: `None`, success; else
    /// the sub-code AD refuses it with (773, 532, 533, 701, 775).
    pub refusal: Option<&'static str>,
    /// The 16 bytes of its `objectGUID`.
    pub guid: [u8; 16],
    pub groups: &'static [&'static str],
    pub account_control: u32,
}

impl AdUser {
    pub fn dn(&self) -> String {
        format!("cn={},{USERS}", self.sam)
    }

    pub fn principal(&self) -> String {
        format!("{}@ad.example.test", self.sam)
    }
}

/// The running stand-in; its accounts may be changed while it runs.
pub struct FakeAd {
    pub url: String,
    users: Arc<Mutex<HashMap<String, AdUser>>>,
    /// The connection of each client so far, ended or not.
    connections: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl FakeAd {
    pub async fn start(users: &[AdUser]) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address: SocketAddr = listener.local_addr().expect("address");
        let users = Arc::new(Mutex::new(
            users
                .iter()
                .map(|user| (user.sam.to_owned(), user.clone()))
                .collect::<HashMap<_, _>>(),
        ));
        let connections = Arc::new(Mutex::new(Vec::new()));
        let (shared, accepted) = (Arc::clone(&users), Arc::clone(&connections));
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let served = tokio::spawn(serve(socket, Arc::clone(&shared)));
                accepted
                    .lock()
                    .expect("connections")
                    .push(served.abort_handle());
            }
        });
        Self {
            url: format!("ldap://{address}"),
            users,
            connections,
        }
    }

    /// How many connections clients have opened so far.
    pub fn connections(&self) -> usize {
        self.connections.lock().expect("connections").len()
    }

    /// Close every open connection, as a directory restarting does.
    pub fn drop_connections(&self) {
        for connection in self.connections.lock().expect("connections").iter() {
            connection.abort();
        }
    }

    /// Change the account `sam` as an administrator would.
    pub fn change(&self, sam: &str, change: impl FnOnce(&mut AdUser)) {
        let mut users = self.users.lock().expect("users");
        change(users.get_mut(sam).expect("the account"));
    }
}

async fn serve(socket: tokio::net::TcpStream, users: Arc<Mutex<HashMap<String, AdUser>>>) {
    let (read, write) = tokio::io::split(socket);
    let mut requests = FramedRead::new(read, LdapCodec::default());
    let mut responses = FramedWrite::new(write, LdapCodec::default());
    while let Some(Ok(message)) = requests.next().await {
        let Ok(operation) = ServerOps::try_from(message) else {
            return;
        };
        let answers = {
            let users = users.lock().expect("users");
            match operation {
                ServerOps::SimpleBind(bind) => {
                    vec![bind_answer(&users, bind.msgid, &bind.dn, &bind.pw)]
                }
                ServerOps::Search(search) => {
                    let mut found: Vec<LdapMsg> = entries(&users, &search.base, &search.filter)
                        .into_iter()
                        .map(|entry| search.gen_result_entry(entry))
                        .collect();
                    found.push(search.gen_success());
                    found
                }
                ServerOps::Unbind(_) => return,
                _ => continue,
            }
        };
        for answer in answers {
            if responses.send(answer).await.is_err() {
                return;
            }
        }
    }
}

/// A bind as AD answers it: success, or 49 with the sub-code in the text.
fn bind_answer(users: &HashMap<String, AdUser>, msgid: i32, dn: &str, password: &str) -> LdapMsg {
    let refused = |data: &str| Some(data.to_owned());
    let refusal = if dn == SERVICE_DN {
        (password != SERVICE_PASSWORD).then(|| "52e".to_owned())
    } else {
        match users
            .values()
            .find(|user| user.dn().eq_ignore_ascii_case(dn))
        {
            None => refused("525"),
            // Locked out: so whatever the password.
            Some(user) if user.refusal == Some("775") => refused("775"),
            Some(user) if user.password != password => refused("52e"),
            Some(user) => user.refusal.map(str::to_owned),
        }
    };
    let (code, message) = match refusal {
        None => (LdapResultCode::Success, String::new()),
        Some(data) => (
            LdapResultCode::InvalidCredentials,
            format!(
                "80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, \
                 data {data}, v4563\0"
            ),
        ),
    };
    LdapMsg {
        msgid,
        op: LdapOp::BindResponse(LdapBindResponse {
            res: LdapResult {
                code,
                matcheddn: String::new(),
                message,
                referral: vec![],
            },
            saslcreds: None,
        }),
        ctrl: vec![],
    }
}

/// The entries a search finds: the groups a member is in (in chain), or
/// the users a name or an `objectGUID` in the filter names.
fn entries(
    users: &HashMap<String, AdUser>,
    base: &str,
    filter: &LdapFilter,
) -> Vec<LdapSearchResultEntry> {
    if !base
        .to_ascii_lowercase()
        .ends_with("dc=ad,dc=example,dc=test")
    {
        return Vec::new();
    }
    let mut terms = Vec::new();
    terms_of(filter, &mut terms);
    if let Some((_, member)) = terms.iter().find(|(attribute, _)| attribute == IN_CHAIN) {
        let Some(user) = users
            .values()
            .find(|user| user.dn().eq_ignore_ascii_case(member))
        else {
            return Vec::new();
        };
        return user
            .groups
            .iter()
            .map(|group| LdapSearchResultEntry {
                dn: format!("cn={group},{USERS}"),
                attributes: vec![attribute("cn", group.as_bytes())],
            })
            .collect();
    }
    users
        .values()
        .filter(|user| {
            terms.iter().any(
                |(attribute, value)| match attribute.to_ascii_lowercase().as_str() {
                    "samaccountname" => value.eq_ignore_ascii_case(user.sam),
                    "userprincipalname" | "mail" => value.eq_ignore_ascii_case(&user.principal()),
                    "objectguid" => value.as_bytes() == user.guid,
                    _ => false,
                },
            )
        })
        .map(|user| LdapSearchResultEntry {
            dn: user.dn(),
            attributes: vec![
                attribute("objectGUID", &user.guid),
                attribute("sAMAccountName", user.sam.as_bytes()),
                attribute("userPrincipalName", user.principal().as_bytes()),
                attribute("mail", user.principal().as_bytes()),
                attribute("displayName", user.sam.as_bytes()),
                attribute(
                    "userAccountControl",
                    user.account_control.to_string().as_bytes(),
                ),
            ],
        })
        .collect()
}

/// Every `(attribute, value)` the filter compares, the in-chain rule's as
/// `(rule, value)`.
fn terms_of(filter: &LdapFilter, terms: &mut Vec<(String, String)>) {
    match filter {
        LdapFilter::And(all) | LdapFilter::Or(all) => {
            for filter in all {
                terms_of(filter, terms);
            }
        }
        LdapFilter::Equality(attribute, value) => terms.push((attribute.clone(), value.clone())),
        LdapFilter::Extensible(assertion) => terms.push((
            assertion.matching_rule.clone().unwrap_or_default(),
            assertion.match_value.clone(),
        )),
        _ => {}
    }
}

fn attribute(name: &str, value: &[u8]) -> LdapPartialAttribute {
    LdapPartialAttribute {
        atype: name.to_owned(),
        vals: vec![value.to_vec()],
    }
}
