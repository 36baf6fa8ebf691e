//! Colours people can read: an organization picks any accent colour, and
//! the console derives from it the colours of text (WCAG 2's contrast of
//! 4.5:1 for normal text), so that no choice makes a page unreadable.

use crate::AccentColor;

/// The lightest background text stands on in the console (the page's).
const PAGE: Rgb = Rgb(0xf6, 0xf7, 0xf9);
const WHITE: Rgb = Rgb(0xff, 0xff, 0xff);
const BLACK: Rgb = Rgb(0, 0, 0);
/// WCAG 2 AA for normal text, with a little room for rounding.
const READABLE: f64 = 4.6;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rgb(u8, u8, u8);

impl Rgb {
    fn parse(hex: &str) -> Option<Self> {
        let hex = hex.strip_prefix('#')?;
        let channel = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
        Some(Self(channel(0)?, channel(2)?, channel(4)?))
    }

    fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// WCAG 2's relative luminance.
    fn luminance(self) -> f64 {
        let linear = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.040_45 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * linear(self.0) + 0.7152 * linear(self.1) + 0.0722 * linear(self.2)
    }

    fn contrast(self, other: Rgb) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    /// This colour moved `share` of the way to black.
    fn darker(self, share: f64) -> Self {
        let scale = |c: u8| (f64::from(c) * (1.0 - share)).round() as u8;
        Self(scale(self.0), scale(self.1), scale(self.2))
    }
}

impl AccentColor {
    fn rgb(&self) -> Rgb {
        // Parsed as #rrggbb when it was made.
        Rgb::parse(self.as_str()).unwrap_or(Rgb(0x1f, 0x6f, 0xeb))
    }

    /// The accent as text on the console's light backgrounds: the colour
    /// itself when it reads, else as much darker as it takes.
    pub fn as_text(&self) -> String {
        let accent = self.rgb();
        (0..=25)
            .map(|step| accent.darker(f64::from(step) * 0.04))
            .find(|c| c.contrast(PAGE) >= READABLE)
            .unwrap_or(BLACK)
            .hex()
    }

    /// Text on the accent (a button's label): white, or black where white
    /// would not read.
    pub fn ink(&self) -> &'static str {
        if self.rgb().contrast(WHITE) >= READABLE {
            "#ffffff"
        } else {
            "#000000"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_accent_gives_readable_text_and_labels() {
        for hex in [
            "#1f6feb", "#ffff00", "#ffffff", "#000000", "#777777", "#00ff00", "#e11d48", "#0b57d0",
        ] {
            let accent = AccentColor::parse(hex).unwrap();
            let text = Rgb::parse(&accent.as_text()).unwrap();
            assert!(text.contrast(PAGE) >= 4.5, "{hex} as text: {}", text.contrast(PAGE));
            assert!(text.contrast(WHITE) >= 4.5, "{hex} as text on white");
            let ink = Rgb::parse(accent.ink()).unwrap();
            assert!(
                ink.contrast(accent.rgb()) >= 4.5,
                "{hex}'s label: {}",
                ink.contrast(accent.rgb())
            );
        }
    }

    #[test]
    fn a_readable_accent_stays_as_it_is() {
        assert_eq!(AccentColor::parse("#0b57d0").unwrap().as_text(), "#0b57d0");
        assert_eq!(AccentColor::parse("#1f6feb").unwrap().as_text(), "#1e6be2");
    }
}
