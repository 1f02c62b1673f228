//! Number formatting for the page's text and tables.

/// An integer with thin thousands separators: 13,412.
pub fn int(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A share as a percentage with one decimal: 25.3%.
pub fn pct(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// A measurement with four significant digits, plain notation when reasonable.
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        return "–".to_string();
    }
    let a = v.abs();
    if a != 0.0 && !(1e-3..1e6).contains(&a) {
        return format!("{v:.3e}");
    }
    let decimals = if a == 0.0 { 0 } else { (3 - a.log10().floor() as i32).clamp(0, 6) as usize };
    format!("{v:.decimals$}")
}

/// The median of the finite values, if any.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len().is_multiple_of(2) { (v[mid - 1] + v[mid]) / 2.0 } else { v[mid] })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(int(13412), "13,412");
        assert_eq!(int(999), "999");
        assert_eq!(pct(0.25), "25.0%");
        assert_eq!(num(0.590009), "0.5900");
        assert_eq!(num(1370.81), "1371");
        assert_eq!(num(4.464087), "4.464");
        assert_eq!(num(0.0), "0");
        assert_eq!(num(2.5e-5), "2.500e-5");
        assert_eq!(median(&[3.0, 1.0, 2.0, f64::NAN]), Some(2.0));
        assert_eq!(median(&[1.0, 2.0]), Some(1.5));
        assert_eq!(median(&[]), None);
    }
}
