//! Real browsers: the WebDriver sessions, the page origins, and one browser's stage with its
//! pages and the recording pass-through in front of the store.

pub mod driver;
pub mod page_server;
pub mod stage;
