//! Words of a repro script: bash quoting, and the names the scenario's values take there.

/// Stands for the bucket name while URLs are built; the script's `$BUCKET` replaces it.
pub const BUCKET_TOKEN: &str = "corsprobe-repro-bucket-token";

/// Single-quotes a word for bash, with the bucket token turned back into `$BUCKET`.
pub fn sh(text: &str) -> String {
    let quoted = format!("'{}'", text.replace('\'', r"'\''"));
    quoted.replace(BUCKET_TOKEN, "'\"$BUCKET\"'")
}

/// A form's name as `corsprobe sign --form` takes it.
pub fn form_name(form: crate::model::vocabulary::Form) -> &'static str {
    use crate::model::vocabulary::Form;
    match form {
        Form::Valid => "valid",
        Form::ForgedSignature => "forged-signature",
        Form::ExtraField => "extra-field",
        Form::ExpiredPolicy => "expired-policy",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_stays_one_word_and_the_bucket_becomes_the_variable() {
        assert_eq!(sh("it's $HOME"), r"'it'\''s $HOME'");
        assert_eq!(
            sh(&format!("http://h/{BUCKET_TOKEN}/k")),
            r#"'http://h/'"$BUCKET"'/k'"#
        );
        let out = std::process::Command::new("bash")
            .args([
                "-c",
                &format!(
                    "BUCKET=b; printf %s {}",
                    sh(&format!("a'`x` {BUCKET_TOKEN}"))
                ),
            ])
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "a'`x` b");
    }
}
