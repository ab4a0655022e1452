//! Writing the voice platforms' XML documents (Africa's Talking, TwiML, VoiceXML): one small
//! set of helpers over quick-xml, so every renderer escapes text and attributes the same way.

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

pub(crate) type W = Writer<Vec<u8>>;

/// A new XML document in memory, its declaration written.
pub(crate) fn document() -> W {
    let mut w = Writer::new(Vec::new());
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .expect("write to memory");
    w
}

/// The document as a string (the writer only ever holds UTF-8).
pub(crate) fn finish(w: W) -> String {
    String::from_utf8(w.into_inner()).expect("XML written from UTF-8 strings")
}

pub(crate) fn start(w: &mut W, name: &str, attrs: &[(&str, &str)]) {
    let mut e = BytesStart::new(name);
    for (k, v) in attrs {
        e.push_attribute((*k, *v));
    }
    w.write_event(Event::Start(e)).expect("write to memory");
}

pub(crate) fn end(w: &mut W, name: &str) {
    w.write_event(Event::End(BytesEnd::new(name)))
        .expect("write to memory");
}

pub(crate) fn empty(w: &mut W, name: &str, attrs: &[(&str, &str)]) {
    let mut e = BytesStart::new(name);
    for (k, v) in attrs {
        e.push_attribute((*k, *v));
    }
    w.write_event(Event::Empty(e)).expect("write to memory");
}

/// Escaped text content, inside whatever element is open.
pub(crate) fn content(w: &mut W, value: &str) {
    w.write_event(Event::Text(BytesText::new(value)))
        .expect("write to memory");
}

pub(crate) fn text(w: &mut W, name: &str, value: &str) {
    text_with(w, name, &[], value);
}

/// An element with attributes and escaped text content.
pub(crate) fn text_with(w: &mut W, name: &str, attrs: &[(&str, &str)], value: &str) {
    start(w, name, attrs);
    content(w, value);
    end(w, name);
}
