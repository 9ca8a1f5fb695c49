//! Text formatting shared by the writers: decimal seconds from integer
//! ticks, ISO 8601 date-times, `xs:duration`, XML escaping and the HLS
//! string rules. All arithmetic is on integers; decimals exist only in the
//! output text.

use super::PlaylistError;
use crate::time::{Timescale, Timestamp};

/// `n / d` rounded to the nearest integer, halves upwards (`d > 0`).
pub(crate) fn div_round(n: i128, d: i128) -> i128 {
    (2 * n + d).div_euclid(2 * d)
}

/// `n / d` rounded up (`d > 0`).
pub(crate) fn div_ceil(n: i128, d: i128) -> i128 {
    -(-n).div_euclid(d)
}

/// `10^decimals`.
pub(crate) fn pow10(decimals: u32) -> i128 {
    10i128.pow(decimals)
}

/// `ticks / timescale` seconds in units of `10^-decimals` s, rounded to
/// the nearest unit. This is exactly the number that [`decimal_seconds`]
/// prints.
pub(crate) fn scaled_seconds(ticks: i128, timescale: Timescale, decimals: u32) -> i128 {
    div_round(ticks * pow10(decimals), timescale.get() as i128)
}

/// Writes an integer count of `10^-decimals` units as a decimal number:
/// `(6006, 3)` → `"6.006"`.
pub(crate) fn format_scaled(scaled: i128, decimals: u32) -> String {
    let sign = if scaled < 0 { "-" } else { "" };
    let abs = scaled.unsigned_abs();
    if decimals == 0 {
        return format!("{sign}{abs}");
    }
    let unit = pow10(decimals) as u128;
    format!("{sign}{}.{:0width$}", abs / unit, abs % unit, width = decimals as usize)
}

/// `ticks / timescale` seconds as a decimal with exactly `decimals` digits
/// after the point, rounded to the nearest (halves up).
pub(crate) fn decimal_seconds(ticks: i128, timescale: Timescale, decimals: u32) -> String {
    format_scaled(scaled_seconds(ticks, timescale, decimals), decimals)
}

/// A [`Timestamp`] used as a duration, in ticks of `to`, exactly when it
/// divides, else rounded to the nearest tick. Negative durations are
/// refused with the field's name.
pub(crate) fn duration_ticks(d: Timestamp, to: Timescale, field: &'static str) -> Result<i128, PlaylistError> {
    if d.ticks < 0 {
        return Err(PlaylistError::InvalidOption { field, reason: format!("must not be negative, got {d}") });
    }
    Ok(div_round(d.ticks as i128 * to.get() as i128, d.timescale.get() as i128))
}

/// Compares two durations given as [`Timestamp`]s exactly (cross
/// multiplication, no rounding).
pub(crate) fn cmp_durations(a: Timestamp, b: Timestamp) -> std::cmp::Ordering {
    let lhs = a.ticks as i128 * b.timescale.get() as i128;
    let rhs = b.ticks as i128 * a.timescale.get() as i128;
    lhs.cmp(&rhs)
}

/// Converts a count of days since 1970-01-01 to a proleptic Gregorian
/// (year, month 1–12, day 1–31). Works on 400-year eras of 146 097 days,
/// with years that start on 1 March so that the leap day comes last.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Shift the epoch to 0000-03-01.
    let z = days as i128 + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097; // 0 ..= 146_096
    let year_of_era = (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100); // 0 ..= 365
    let month_from_march = (5 * day_of_year + 2) / 153; // 0 = March ..= 11 = February
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
    let year = year_of_era + era * 400 + i128::from(month <= 2);
    (year as i64, month as u32, day as u32)
}

/// Milliseconds since the Unix epoch as an ISO 8601 / `xs:dateTime` UTC
/// time with milliseconds: `2023-11-14T22:13:20.000Z`.
pub(crate) fn iso8601(ms: i64, field: &'static str) -> Result<String, PlaylistError> {
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    if !(0..=9999).contains(&year) {
        return Err(PlaylistError::DateOutOfRange { field, ms });
    }
    let (h, m, s, milli) = (in_day / 3_600_000, in_day / 60_000 % 60, in_day / 1_000 % 60, in_day % 1_000);
    Ok(format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z"))
}

/// A non-negative number of milliseconds as an `xs:duration`:
/// `62345` → `PT1M2.345S`, `0` → `PT0S`, `3600000` → `PT1H`.
pub(crate) fn xs_duration_ms(ms: u128) -> String {
    if ms == 0 {
        return "PT0S".into();
    }
    let mut out = String::from("PT");
    let hours = ms / 3_600_000;
    let minutes = ms / 60_000 % 60;
    let seconds = ms / 1_000 % 60;
    let milli = ms % 1_000;
    if hours > 0 {
        out.push_str(&format!("{hours}H"));
    }
    if minutes > 0 {
        out.push_str(&format!("{minutes}M"));
    }
    if seconds > 0 || milli > 0 {
        out.push_str(&seconds.to_string());
        if milli > 0 {
            let frac = format!("{milli:03}");
            out.push('.');
            out.push_str(frac.trim_end_matches('0'));
        }
        out.push('S');
    }
    out
}

/// Ticks as an `xs:duration`, rounded to the nearest millisecond.
pub(crate) fn xs_duration_ticks(
    ticks: i128,
    timescale: Timescale,
    field: &'static str,
) -> Result<String, PlaylistError> {
    if ticks < 0 {
        return Err(PlaylistError::InvalidOption { field, reason: format!("must not be negative, got {ticks} ticks") });
    }
    Ok(xs_duration_ms(div_round(ticks * 1_000, timescale.get() as i128) as u128))
}

/// A [`Timestamp`] used as a duration, as an `xs:duration`.
pub(crate) fn xs_duration(d: Timestamp, field: &'static str) -> Result<String, PlaylistError> {
    xs_duration_ticks(d.ticks as i128, d.timescale, field)
}

/// Escapes a value for an XML attribute (double-quoted) or text node.
/// Refuses characters XML 1.0 cannot carry at all (most C0 controls).
pub(crate) fn xml_escape(value: &str, field: &'static str) -> Result<String, PlaylistError> {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Attribute-value normalisation would turn these into spaces.
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                return Err(PlaylistError::InvalidText {
                    field,
                    value: value.into(),
                    reason: "contains a character XML 1.0 does not allow",
                });
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Checks a value for an HLS quoted-string attribute: no `"`, CR or LF
/// (RFC 8216 §4.2). Other control characters are refused too.
pub(crate) fn hls_quoted<'a>(value: &'a str, field: &'static str) -> Result<&'a str, PlaylistError> {
    if let Some(c) = value.chars().find(|&c| c == '"' || c.is_control()) {
        let reason = if c == '"' {
            "must not contain a double quote"
        } else {
            "must not contain line breaks or control characters"
        };
        return Err(PlaylistError::InvalidText { field, value: value.into(), reason });
    }
    Ok(value)
}

/// Checks a non-empty value for an HLS quoted string.
pub(crate) fn hls_quoted_nonempty<'a>(value: &'a str, field: &'static str) -> Result<&'a str, PlaylistError> {
    if value.is_empty() {
        return Err(PlaylistError::InvalidText { field, value: String::new(), reason: "must not be empty" });
    }
    hls_quoted(value, field)
}

/// Checks a URI written on its own playlist line: non-empty, no line
/// breaks or control characters, no surrounding spaces, not starting
/// with `#` (which would make it a comment).
pub(crate) fn hls_uri_line<'a>(value: &'a str, field: &'static str) -> Result<&'a str, PlaylistError> {
    let reason = if value.is_empty() {
        Some("must not be empty")
    } else if value.starts_with('#') {
        Some("must not start with '#'")
    } else if value.trim() != value {
        Some("must not start or end with white space")
    } else if value.chars().any(|c| c.is_control()) {
        Some("must not contain line breaks or control characters")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(PlaylistError::InvalidText { field, value: value.into(), reason }),
        None => Ok(value),
    }
}

/// Checks a language tag (RFC 5646 shape: letters, digits and `-`).
pub(crate) fn language_tag<'a>(value: &'a str, field: &'static str) -> Result<&'a str, PlaylistError> {
    let ok = !value.is_empty()
        && !value.starts_with('-')
        && !value.ends_with('-')
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(value)
    } else {
        Err(PlaylistError::InvalidText {
            field,
            value: value.into(),
            reason: "must be a language tag such as \"en\" or \"pt-BR\"",
        })
    }
}

/// Checks an RFC 6381 codec string (e.g. `avc1.64001f`, `mp4a.40.2`):
/// printable ASCII without spaces, commas or quotes.
pub(crate) fn codec_string<'a>(value: &'a str, field: &'static str) -> Result<&'a str, PlaylistError> {
    let ok = !value.is_empty() && value.chars().all(|c| c.is_ascii_graphic() && c != ',' && c != '"');
    if ok {
        Ok(value)
    } else {
        Err(PlaylistError::InvalidText { field, value: value.into(), reason: "must be an RFC 6381 codec string" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(n: u32) -> Timescale {
        Timescale::new(n).unwrap()
    }

    #[test]
    fn rounding() {
        assert_eq!(div_round(5, 2), 3);
        assert_eq!(div_round(4, 3), 1);
        assert_eq!(div_round(-5, 2), -2);
        assert_eq!(div_ceil(5, 2), 3);
        assert_eq!(div_ceil(4, 2), 2);
        assert_eq!(div_ceil(-5, 2), -2);
    }

    #[test]
    fn seconds() {
        assert_eq!(decimal_seconds(540_540, ts(90_000), 3), "6.006");
        assert_eq!(decimal_seconds(1001, ts(30_000), 5), "0.03337");
        assert_eq!(decimal_seconds(45, ts(90_000), 3), "0.001"); // 0.0005 rounds up
        assert_eq!(decimal_seconds(44, ts(90_000), 3), "0.000");
        assert_eq!(decimal_seconds(2, ts(1), 0), "2");
        assert_eq!(decimal_seconds(-1500, ts(1000), 1), "-1.5");
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(11_017), (2000, 3, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(-719_468), (0, 3, 1));
        // Every day of 1900..2100 follows the previous one.
        let mut prev = civil_from_days(-25_567);
        assert_eq!(prev, (1900, 1, 1));
        for d in -25_566..47_482 {
            let cur = civil_from_days(d);
            let next_day = (prev.0, prev.1, prev.2 + 1);
            let next_month = (prev.0, prev.1 + 1, 1);
            let next_year = (prev.0 + 1, 1, 1);
            assert!(cur == next_day || cur == next_month || cur == next_year, "{prev:?} -> {cur:?}");
            prev = cur;
        }
        assert_eq!(prev, (2099, 12, 31));
    }

    #[test]
    fn iso_times() {
        assert_eq!(iso8601(0, "t").unwrap(), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_700_000_000_123, "t").unwrap(), "2023-11-14T22:13:20.123Z");
        assert_eq!(iso8601(-1, "t").unwrap(), "1969-12-31T23:59:59.999Z");
        assert_eq!(iso8601(253_402_300_799_999, "t").unwrap(), "9999-12-31T23:59:59.999Z");
        assert!(matches!(iso8601(253_402_300_800_000, "t"), Err(PlaylistError::DateOutOfRange { .. })));
        assert!(iso8601(i64::MIN, "t").is_err());
        assert!(iso8601(i64::MAX, "t").is_err());
    }

    #[test]
    fn xs_durations() {
        assert_eq!(xs_duration_ms(0), "PT0S");
        assert_eq!(xs_duration_ms(62_345), "PT1M2.345S");
        assert_eq!(xs_duration_ms(3_600_000), "PT1H");
        assert_eq!(xs_duration_ms(3_600_500), "PT1H0.5S");
        assert_eq!(xs_duration_ms(2_000), "PT2S");
        assert_eq!(xs_duration_ms(90_061_010), "PT25H1M1.01S");
        assert_eq!(xs_duration_ticks(1001, ts(30_000), "d").unwrap(), "PT0.033S");
        assert!(xs_duration_ticks(-1, ts(1), "d").is_err());
    }

    #[test]
    fn xml() {
        assert_eq!(xml_escape("a&b<c>\"d'", "f").unwrap(), "a&amp;b&lt;c&gt;&quot;d&apos;");
        assert_eq!(xml_escape("x\ty", "f").unwrap(), "x&#9;y");
        assert!(xml_escape("bell\u{7}", "f").is_err());
        assert_eq!(xml_escape("é", "f").unwrap(), "é");
    }

    #[test]
    fn hls_strings() {
        assert!(hls_quoted("a\"b", "f").is_err());
        assert!(hls_quoted("a\nb", "f").is_err());
        assert!(hls_quoted("a b,c", "f").is_ok());
        assert!(hls_uri_line("#x", "f").is_err());
        assert!(hls_uri_line(" x", "f").is_err());
        assert!(hls_uri_line("", "f").is_err());
        assert!(hls_uri_line("seg 1.m4s", "f").is_ok());
        assert!(language_tag("pt-BR", "f").is_ok());
        assert!(language_tag("e n", "f").is_err());
        assert!(codec_string("avc1.64001f", "f").is_ok());
        assert!(codec_string("avc1,mp4a", "f").is_err());
    }

    #[test]
    fn durations_from_timestamps() {
        let d = Timestamp::from_millis(1500);
        assert_eq!(duration_ticks(d, Timescale::MPEG, "d").unwrap(), 135_000);
        assert!(duration_ticks(Timestamp::from_millis(-1), Timescale::MPEG, "d").is_err());
        assert_eq!(
            cmp_durations(Timestamp::from_millis(1000), Timestamp::new(90_000, Timescale::MPEG)),
            std::cmp::Ordering::Equal
        );
    }
}
