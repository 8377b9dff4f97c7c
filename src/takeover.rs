//! Taking over the server's plain page. The server sends every screen as a
//! working HTML form (in `#plain`); the app mounts beside it, hidden, and
//! once its first screen is ready it removes the plain page and gives its
//! own fields what was typed there and the focus, in one step, so nothing
//! flashes and nothing typed is lost.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// The id of the server's plain page.
const PLAIN: &str = "plain";

/// What was typed into the plain page, and which field had the focus.
#[derive(Debug, Default)]
pub struct Typed {
    values: Vec<(String, String)>,
    focused: Option<String>,
}

impl Typed {
    /// Read the plain page's fields at the moment the app takes it over:
    /// everything typed until then is kept.
    pub fn read() -> Self {
        let document = document();
        let Some(plain) = document.get_element_by_id(PLAIN) else {
            return Self::default();
        };
        let mut values = Vec::new();
        if let Ok(inputs) = plain.query_selector_all("input") {
            for index in 0..inputs.length() {
                let Some(input) = inputs
                    .item(index)
                    .and_then(|node| node.dyn_into::<web_sys::HtmlInputElement>().ok())
                else {
                    continue;
                };
                let (id, value) = (input.id(), input.value());
                if !id.is_empty() && !value.is_empty() && input.type_() != "hidden" {
                    values.push((id, value));
                }
            }
        }
        let focused = document
            .active_element()
            .filter(|element| plain.contains(Some(element)))
            .map(|element| element.id())
            .filter(|id| !id.is_empty());
        Self { values, focused }
    }

    /// Whether the plain page's field `id` holds something typed: a screen
    /// that shows that field only on request shows it at once, to take it
    /// over.
    pub fn holds(id: &str) -> bool {
        document()
            .get_element_by_id(PLAIN)
            .and_then(|plain| plain.query_selector(&format!("#{id}")).ok().flatten())
            .and_then(|field| field.dyn_into::<web_sys::HtmlInputElement>().ok())
            .is_some_and(|field| !field.value().is_empty())
    }

    /// Remove the plain page; the app's fields of the same ids get what was
    /// typed (as if typed there) and the focus.
    pub fn hand_over(self) {
        let document = document();
        if let Some(plain) = document.get_element_by_id(PLAIN) {
            plain.remove();
        }
        for (id, value) in self.values {
            if let Some(input) = document
                .get_element_by_id(&id)
                .and_then(|element| element.dyn_into::<web_sys::HtmlInputElement>().ok())
            {
                input.set_value(&value);
                if let Ok(event) = web_sys::Event::new("input") {
                    let _ = input.dispatch_event(&event);
                }
            }
        }
        if let Some(element) = self
            .focused
            .and_then(|id| document.get_element_by_id(&id))
            .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = element.focus();
        }
    }
}
