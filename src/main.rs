//! The aanmelden portal in the browser.

use leptos::prelude::*;

/// The portal's frame: the sign-in screens live inside it.
#[component]
fn App() -> impl IntoView {
    view! {
        <main class="panel">
            <h1>"Meld u aan"</h1>
            <p>"aanmelden"</p>
        </main>
    }
}

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}
