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

/// Swedish: adjectives in the form an en-word takes, and en-words, so
/// every pair is grammatical ("modig utter").
const SV_FIRST: [&str; 64] = [
    "modig", "glad", "snäll", "lugn", "varm", "ljus", "stark", "snabb", "klok", "mjuk", "pigg",
    "rolig", "söt", "liten", "blå", "grön", "röd", "gul", "vit", "brun", "rund", "fin", "frisk",
    "trygg", "tyst", "vänlig", "lekfull", "nyfiken", "duktig", "ärlig", "munter", "flitig",
    "kvick", "sval", "lätt", "härlig", "gyllene", "silvrig", "stolt", "tapper", "vaken", "smart",
    "mysig", "solig", "prydlig", "hurtig", "ivrig", "busig", "klar", "mild", "god", "ung", "ädel",
    "rask", "rar", "kry", "sprallig", "pratsam", "glittrig", "nätt", "hög", "djup", "nöjd",
    "artig",
];
const SV_SECOND: [&str; 64] = [
    "utter", "räv", "björn", "älg", "hare", "ekorre", "uggla", "falk", "mås", "trana", "svan",
    "anka", "gås", "säl", "delfin", "lax", "gädda", "abborre", "groda", "snigel", "fjäril",
    "humla", "myra", "katt", "hund", "häst", "get", "kanin", "mus", "pingvin", "koala", "panda",
    "tiger", "ros", "tulpan", "lilja", "gran", "tall", "lönn", "ask", "alm", "vass", "mossa",
    "ljung", "kastanj", "kotte", "sol", "måne", "stjärna", "flod", "bäck", "sjö", "klippa", "sten",
    "vind", "äng", "skog", "dal", "kulle", "strand", "lykta", "kopp", "nyckel", "lärka",
];

/// Russian: masculine adjectives and masculine nouns, so every pair agrees
/// ("тихий бобр").
const RU_FIRST: [&str; 64] = [
    "тихий",
    "смелый",
    "добрый",
    "весёлый",
    "ясный",
    "тёплый",
    "мягкий",
    "быстрый",
    "мудрый",
    "храбрый",
    "бодрый",
    "ловкий",
    "умный",
    "славный",
    "милый",
    "нежный",
    "лёгкий",
    "светлый",
    "яркий",
    "звонкий",
    "чистый",
    "зелёный",
    "синий",
    "белый",
    "рыжий",
    "золотой",
    "голубой",
    "алый",
    "юный",
    "круглый",
    "гордый",
    "честный",
    "верный",
    "щедрый",
    "шустрый",
    "пушистый",
    "уютный",
    "летний",
    "зимний",
    "лесной",
    "морской",
    "полевой",
    "речной",
    "северный",
    "южный",
    "дружный",
    "живой",
    "бравый",
    "дивный",
    "стройный",
    "ночной",
    "звёздный",
    "лунный",
    "снежный",
    "пёстрый",
    "красный",
    "жёлтый",
    "бурый",
    "серый",
    "новый",
    "скромный",
    "вежливый",
    "чуткий",
    "зоркий",
];

const RU_SECOND: [&str; 64] = [
    "бобр",
    "барсук",
    "лис",
    "заяц",
    "медведь",
    "лось",
    "олень",
    "кот",
    "пёс",
    "тюлень",
    "дельфин",
    "окунь",
    "карп",
    "сом",
    "пингвин",
    "снегирь",
    "голубь",
    "журавль",
    "лебедь",
    "филин",
    "сокол",
    "дятел",
    "скворец",
    "соловей",
    "хомяк",
    "кролик",
    "суслик",
    "енот",
    "тигр",
    "слон",
    "пони",
    "краб",
    "жук",
    "шмель",
    "мотылёк",
    "дуб",
    "клён",
    "ясень",
    "тополь",
    "кедр",
    "мох",
    "камыш",
    "мак",
    "ландыш",
    "василёк",
    "ветер",
    "дождь",
    "туман",
    "ручей",
    "залив",
    "остров",
    "холм",
    "луг",
    "берег",
    "закат",
    "рассвет",
    "месяц",
    "иней",
    "фонарь",
    "ключ",
    "мяч",
    "зонт",
    "шарф",
    "парус",
];

/// The word lists of a language: the person reads the phrase on screen
/// and in the mail in their own language. English for any other.
fn lists(language: &str) -> (&'static [&'static str; 64], &'static [&'static str; 64]) {
    match language {
        "sv" => (&SV_FIRST, &SV_SECOND),
        "ru" => (&RU_FIRST, &RU_SECOND),
        _ => (&FIRST, &SECOND),
    }
}

/// Two words in `language` from the OS's random source, as `amber otter`.
pub fn generate(language: &str) -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 2];
    getrandom::fill(&mut bytes)?;
    let (firsts, seconds) = lists(language);
    // 64 divides 256: no bias.
    let first = firsts[usize::from(bytes[0] % 64)];
    let second = seconds[usize::from(bytes[1] % 64)];
    Ok(format!("{first} {second}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_are_two_known_words_of_the_language_and_vary() {
        for language in crate::i18n::CODES {
            let (firsts, seconds) = lists(language);
            let phrases: std::collections::BTreeSet<String> =
                (0..50).map(|_| generate(language).unwrap()).collect();
            assert!(phrases.len() > 40, "{phrases:?}");
            for phrase in &phrases {
                let (a, b) = phrase.split_once(' ').unwrap();
                assert!(firsts.contains(&a) && seconds.contains(&b), "{phrase}");
            }
        }
        let swedish = generate("sv").unwrap();
        let (a, _) = swedish.split_once(' ').unwrap();
        assert!(SV_FIRST.contains(&a) && !FIRST.contains(&a));
        assert!(
            generate("ru")
                .unwrap()
                .chars()
                .any(|c| ('а'..='я').contains(&c))
        );
    }

    #[test]
    fn the_word_lists_have_no_repeats() {
        for language in crate::i18n::CODES {
            let (firsts, seconds) = lists(language);
            let mut all: Vec<&str> = firsts.iter().chain(seconds.iter()).copied().collect();
            all.sort_unstable();
            all.dedup();
            assert_eq!(all.len(), 128, "{language}");
        }
    }
}
