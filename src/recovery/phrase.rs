//! The match phrase: two short words shown on the wizard's screen while it
//! waits for a code, and printed in the code's mail, so a person can pick
//! the right mail among resends and spot one they did not ask for. It is
//! not a secret and proves nothing; it only ties a mail to a screen.

/// Short, common, unmistakable words: 64 adjectives and 64 nouns, 4096
/// phrases.
const FIRST: [&str; 64] = [
    "amber", "brave", "calm", "dusty", "eager", "fancy", "gentle", "happy", "icy", "jolly", "kind",
    "lucky", "merry", "noble", "olive", "proud", "quiet", "rapid", "silver", "tidy", "urban",
    "vivid", "warm", "young", "zesty", "bold", "crisp", "deep", "early", "fresh", "golden",
    "humble", "ivory", "lively", "mellow", "nimble", "open", "plain", "rosy", "sunny", "tall",
    "upper", "velvet", "wild", "cosy", "bright", "clever", "daring", "even", "fair", "grand",
    "honest", "jade", "keen", "light", "mighty", "neat", "orange", "polite", "royal", "smooth",
    "tender", "wise", "steady",
];
const SECOND: [&str; 64] = [
    "otter", "falcon", "maple", "harbor", "lantern", "meadow", "pebble", "river", "canyon",
    "willow", "badger", "comet", "garden", "island", "kettle", "lemon", "mountain", "orchard",
    "parrot", "quartz", "rabbit", "saddle", "tiger", "valley", "walrus", "anchor", "beacon",
    "cactus", "dolphin", "ember", "forest", "glacier", "hazel", "igloo", "jaguar", "koala",
    "lagoon", "marble", "nutmeg", "oyster", "pepper", "raven", "sparrow", "thistle", "umbrella",
    "violin", "wagon", "yarrow", "zebra", "acorn", "bison", "cedar", "daisy", "eagle", "fern",
    "gecko", "heron", "iris", "juniper", "kiwi", "lynx", "moth", "nectar", "panda",
];

/// Two words from the OS's random source, as `amber otter`.
pub fn generate() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 2];
    getrandom::fill(&mut bytes)?;
    // 64 divides 256: no bias.
    let first = FIRST[usize::from(bytes[0] % 64)];
    let second = SECOND[usize::from(bytes[1] % 64)];
    Ok(format!("{first} {second}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_are_two_known_words_and_vary() {
        let phrases: std::collections::BTreeSet<String> =
            (0..50).map(|_| generate().unwrap()).collect();
        assert!(phrases.len() > 40, "{phrases:?}");
        for phrase in &phrases {
            let (a, b) = phrase.split_once(' ').unwrap();
            assert!(FIRST.contains(&a) && SECOND.contains(&b), "{phrase}");
        }
    }

    #[test]
    fn the_word_lists_have_no_repeats() {
        let mut all: Vec<&str> = FIRST.iter().chain(SECOND.iter()).copied().collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 128);
    }
}
