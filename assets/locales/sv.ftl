## Svenska: varje text som guiden visar, och delar av e-postmeddelandena.
## { $name } fylls i av rekey. Ett test misslyckas om ett meddelande här
## saknas i ett annat språks fil eller använder andra variabler.

## language

language-name = Svenska

## app

app-still-there = Är du kvar? Tillbaka till början om { $secs } s – tryck på valfri tangent.
app-step = Steg { $n } av { $total }
app-busy = Arbetar…
app-enlarge = Gör fönstret större
app-keys-hint = F1 tangenter
app-quit-hint = Ctrl-C avsluta

## keys

keys-title = Tangenter
keys-close = Tryck F1 eller Esc för att stänga
keys-esc = Esc: ett steg tillbaka
keys-tab = Tab, Shift-Tab: gå mellan kontrollerna
keys-enter = Enter: aktivera den markerade kontrollen
keys-quit = Ctrl-C: avsluta
keys-language = ← →: byt språk
keys-slider = → eller l: reglaget åt höger (håll ned); ←: vänster
keys-code = Siffror eller klistra in: fyll i koden; Backspace: radera
keys-reveal = F2: visa eller dölj lösenorden

## sign_in

sign-in-title = Logga in
sign-in-intro = Logga in för att prova ditt lösenord. Glömt det? Med rekey väljer du ett nytt i fem korta steg.
sign-in-language = Språk
sign-in-forgot = Glömt ditt lösenord?
sign-in-demo = Demokonto: { $address }
sign-in-demo-password = Lösenordet just nu: { $password }
sign-in-address = E-postadress
sign-in-password = Lösenord
sign-in-submit = Logga in
sign-in-checking = Kontrollerar ditt lösenord…
sign-in-password-first = Skriv ditt lösenord.
sign-in-mismatch = Adressen och lösenordet stämmer inte överens.
sign-in-tries-left = { $n ->
        [one] { $n } försök till just nu.
       *[other] { $n } försök till just nu.
    }
sign-in-paused = För många försök med den här adressen. Försök igen om { $time }, eller välj "Glömt ditt lösenord?".
sign-in-cannot-check = Lösenordet kan inte kontrolleras just nu. Försök igen om några minuter.
sign-in-unavailable = rekey kan inte nås just nu, så inget kontrollerades. Försök igen om en stund.
sign-in-success = Du är inloggad. Ditt lösenord fungerar.
sign-in-success-detail = Det här fönstret provar bara lösenord: det öppnar inget annat. Tillbaka till början om { $n } s.

## forgot

forgot-burst = Håll → nedtryckt för att dra reglaget; att klistra in räknas inte.
forgot-title = Glömt ditt lösenord?
forgot-intro = Skriv kontots e-postadress och dra sedan reglaget hela vägen till höger.
forgot-address = E-postadress
forgot-address-ok = Ser rätt ut. Tryck Enter.
forgot-slider = Dra för att verifiera
forgot-slider-hint = Håll → för att dra reglaget
forgot-verified = Verifierad
forgot-try-again = Försök igen
forgot-request = Skicka

## verify

verify-title = Bekräfta din identitet
verify-intro = Hur vill du visa att kontot är ditt?
verify-email = Verifiera via e-post
verify-email-detail = Vi skickar en sexsiffrig kod till { $address }.
verify-email-action = Fortsätt
verify-support = Support
verify-support-detail = Jag har inte kvar den e-postlådan.
verify-support-action = Skapa ett ärende

## ticket

ticket-title = Ärendet är skapat
ticket-reference = Din referens: { $reference }
ticket-next = Kontakta supporten och uppge den: de kontrollerar att kontot är ditt och hjälper dig att välja ett nytt lösenord.
ticket-next-desk = Kontakta { $desk } och uppge den: de kontrollerar att kontot är ditt och hjälper dig att välja ett nytt lösenord.
ticket-back = Tillbaka till början
ticket-write-down = Skriv upp referensen.
ticket-phone = Telefon: { $phone }
ticket-hours = Öppet: { $hours }
ticket-ask-title = Be supporten om hjälp
ticket-ask-intro = Supporten kontrollerar att kontot är ditt och hjälper dig att välja ett nytt lösenord. Hur når de dig?
ticket-contact = Telefon eller en annan e-postadress
ticket-contact-optional = Telefon eller en annan e-postadress (frivilligt)
ticket-contact-hint = Inte e-postlådan du har förlorat.
ticket-contact-needed = Supporten behöver kunna nå dig: skriv ett telefonnummer eller en e-postadress.
ticket-contact-invalid = Det är varken ett telefonnummer (siffror, mellanslag, + - ( )) eller en e-postadress.
ticket-open = Skapa ett ärende
ticket-opening = Skapar ärendet…
ticket-reach-you = Supporten kontaktar dig på { $contact }.

## check

check-title = Kolla din e-post
check-intro = Om det finns ett konto med adressen { $address } skickar vi en sexsiffrig kod dit.
check-intro-sent = Om det finns ett konto med adressen { $address } är en sexsiffrig kod på väg dit. Fel adress? Tryck Esc för att ändra den.
check-get-code = Skicka en verifieringskod
check-sending = Skickar koden…
check-code = Verifieringskod
check-valid-for = Giltig i { $time }
check-expired = Koden har gått ut. Be om en ny.
check-tries-left = { $n } försök kvar
check-locked = Inga försök kvar för den här koden. Be om en ny.
check-resend-in = Skicka igen om { $time }
check-resend = Skicka igen
check-email-closed = Koden är förbrukad och inga fler koder kan skickas just nu: du kan be om en ny om { $time }. Om du inte kan vänta kan supporten hjälpa dig.
check-support = Få hjälp av supporten
check-confirmed = Koden är bekräftad. Tryck Enter för att skapa ditt nya lösenord.
check-continue = Fortsätt
check-resend-later = Inga fler koder just nu. Försök igen om { $time }.
check-confirm = Bekräfta
check-wrong = Koden stämmer inte. { $n } försök kvar.
check-phrase = Orden i e-postmeddelandet: { $phrase }
check-mail-sending = Skickar koden…
check-mail-sent = Skickad. Det kan ta en minut.
check-mail-delayed = E-posten är försenad. Vi försöker igen; du kan också skicka en ny kod.

## password

password-hide = F2 döljer lösenordet
password-non-ascii = Kan du skriva det här på alla tangentbord du använder? Det har tecken utanför A till Z.
password-title = Skapa ett nytt lösenord
password-intro = Några ord utan samband ger ett starkt lösenord som är lätt att minnas.
password-new = Nytt lösenord
password-again = Skriv det igen
password-matches = Stämmer
password-differs = Stämmer inte överens än
password-reveal = F2 visar lösenordet
password-strength = Styrka
password-rules = Ditt lösenord behöver:
password-score-0 = Mycket svagt
password-score-1 = Svagt
password-score-2 = Godtagbart
password-score-3 = Starkt
password-score-4 = Mycket starkt
password-crack-time = Tid att gissa det: { $time }
password-rule-min-length = Minst { $n } tecken
password-rule-max-length = Högst { $n } tecken
password-rule-min-score = Svårt att gissa
password-rule-not-personal = Inte byggt på ditt namn eller din adress
password-rule-printable = Inga styrtecken
password-rule-not-recent = { $n ->
        [one] Inte ditt senaste lösenord
       *[other] Inget av dina { $n } senaste lösenord
    }
password-saving = Sparar ditt nya lösenord…

## done

done-title = Lösenordet är ändrat
done-message = Ditt nya lösenord är klart. Logga in med det från och med nu.
done-notice = Vi har också skickat en notis om ändringen till din e-post.
done-sign-in = Prova ditt nya lösenord
done-propagation = Det kan ta några minuter innan det når alla system.
done-returning = Tillbaka till början om { $n } s

## time

time-instant = mindre än en sekund
time-seconds = { $n ->
        [one] { $n } sekund
       *[other] { $n } sekunder
    }
time-minutes = { $n ->
        [one] { $n } minut
       *[other] { $n } minuter
    }
time-hours = { $n ->
        [one] { $n } timme
       *[other] { $n } timmar
    }
time-days = { $n ->
        [one] { $n } dag
       *[other] { $n } dagar
    }
time-months = { $n ->
        [one] { $n } månad
       *[other] { $n } månader
    }
time-years = { $n } år
time-centuries = århundraden

## mailbox

mailbox-title = Demobrevlåda
# Brevlådan på en rad, när ett litet fönster inte har plats för panelen.
mailbox-newest = Senaste e-post: { $text }
mailbox-empty = Ingen e-post än. Det som guiden skickar visas här.
mailbox-count = Meddelanden: { $n }. Det nyaste, till { $to }:

## error

error-no-session = Sessionen har tagit slut. Skriv din adress för att börja om.
error-unavailable = Kontakten med rekey bröts. Försöker ansluta igen.
error-busy = rekey är upptaget just nu. Försök igen om en stund.
error-store-down = rekey når inte sina uppgifter just nu, så inget har ändrats. Försök igen om en stund.
error-reconnected = Ansluten igen. Skriv din adress för att fortsätta och be sedan om en ny kod: den som skickades förut hörde till den förlorade sessionen.
error-address-empty = Skriv din e-postadress.
error-address-too-long = Adressen är för lång.
error-address-one-at = En e-postadress har ett @, som i namn@example.com.
error-address-local = Delen före @ är inte giltig.
error-address-domain = Delen efter @ är ingen giltig domän.
error-address-no-dot = Domänen behöver en punkt, som i example.com.
error-address-ip = Använd ett domännamn, inte en IP-adress.
error-slide-first = Dra först reglaget hela vägen till höger.
error-address-first = Skriv först din e-postadress.
error-request-first = Börja om från din e-postadress.
error-wrong-step = Det steget är inte tillgängligt nu.
error-ended = Återställningen är klar. Börja om för att göra en ny ändring.
error-resend-too-soon = En ny kod kan skickas om { $time }.
error-hourly-limit = För många koder den senaste timmen. Försök igen om { $time }.
error-code-expired = Koden har gått ut. Be om en ny.
error-no-tries-left = Inga försök kvar för den här koden. Be om en ny.
error-code-replaced = Koden har ersatts av en nyare.
error-not-confirmed = Bekräfta din kod först.
error-code-length = Koden har 6 siffror.
error-code-digits = Koden består bara av siffror.
error-passwords-differ = De två lösenorden är inte lika.
error-password-refused = Lösenordet uppfyller inte alla regler än.
error-refused-recent = Du har använt det här lösenordet förut. Välj ett som du inte har använt.
error-refused-short = Lösenordet behöver minst { $n } tecken.
error-refused-long = Lösenordet får ha högst { $n } tecken.
error-refused-guessable = Lösenordet är för lätt att gissa. Lägg till ett eller två ord.
error-refused-personal = Lösenordet är gjort av ditt namn eller din adress.
error-refused-control = Lösenordet innehåller ett styrtecken.
error-internal = Något gick fel hos oss. Försök igen om en stund.
error-cannot-save = rekey kan inte spara något just nu, så inget har ändrats. Försök igen senare.
error-not-saved = rekey kunde inte spara klart det här steget. Försök igen senare.
error-directory-down = Lösenordet kan inte bytas just nu. Din kod gäller fortfarande: försök igen om några minuter.
error-directory-too-short = Din organisations regler kräver ett längre lösenord. Välj ett längre.
error-directory-too-simple = Din organisations regler tycker att lösenordet är för enkelt. Välj ett annat.
error-directory-in-history = Du har använt det här lösenordet förut. Välj ett som du inte har använt.
error-directory-locked = Ditt konto är låst. Kontakta supporten för att låsa upp det.
error-directory-other = Din organisations regler godtog inte lösenordet. Välj ett annat.
error-change-unconfirmed = Vi kunde inte bekräfta bytet. Försök logga in med det nya lösenordet om några minuter; om det inte går, försök igen här.
error-change-in-progress = Ett byte av lösenordet pågår redan. Vänta en stund.

## advice

advice-straight-rows-of-keys-are-easy-to-guess = Raka tangentrader är lätta att gissa.
advice-short-keyboard-patterns-are-easy-to-guess = Korta tangentbordsmönster är lätta att gissa.
advice-repeats-like-aaa-are-easy-to-guess = Upprepningar som "aaa" är lätta att gissa.
advice-repeats-like-abc-abc-are-only-slightly-harder-to-guess = Upprepningar som "abcabcabc" är bara lite svårare att gissa än "abc".
advice-this-is-a-top10-password = Ett av de 10 vanligaste lösenorden.
advice-this-is-a-top100-password = Ett av de 100 vanligaste lösenorden.
advice-this-is-a-common-password = Det här är ett mycket vanligt lösenord.
advice-this-is-similar-to-a-commonly-used-password = Det här liknar ett vanligt lösenord.
advice-sequences-like-abc-are-easy-to-guess = Följder som abc eller 6543 är lätta att gissa.
advice-recent-years-are-easy-to-guess = De senaste årtalen är lätta att gissa.
advice-a-word-by-itself-is-easy-to-guess = Ett ensamt ord är lätt att gissa.
advice-dates-are-often-easy-to-guess = Datum är ofta lätta att gissa.
advice-names-and-surnames-by-themselves-are-easy-to-guess = Förnamn och efternamn ensamma är lätta att gissa.
advice-common-names-and-surnames-are-easy-to-guess = Vanliga för- och efternamn är lätta att gissa.
advice-use-a-few-words-avoid-common-phrases = Använd några ord, undvik vanliga fraser.
advice-no-need-for-symbols-digits-or-uppercase-letters = Du behöver inga symboler, siffror eller versaler.
advice-add-another-word-or-two = Lägg till ett eller två ord. Ovanliga ord är bättre.
advice-capitalization-doesnt-help-very-much = Stor bokstav hjälper inte mycket.
advice-all-uppercase-is-almost-as-easy-to-guess-as-all-lowercase = Bara stora bokstäver är nästan lika lätt att gissa som bara små.
advice-reversed-words-arent-much-harder-to-guess = Ord baklänges är inte mycket svårare att gissa.
advice-predictable-substitutions-dont-help-very-much = Väntade byten som '@' i stället för 'a' hjälper inte mycket.
advice-use-a-longer-keyboard-pattern-with-more-turns = Använd ett längre tangentmönster med fler svängar.
advice-avoid-repeated-words-and-characters = Undvik upprepade ord och tecken.
advice-avoid-sequences = Undvik följder.
advice-avoid-recent-years = Undvik de senaste årtalen.
advice-avoid-years-that-are-associated-with-you = Undvik årtal som har med dig att göra.
advice-avoid-dates-and-years-that-are-associated-with-you = Undvik datum och årtal som har med dig att göra.

## mail: delar av e-postmallarna under assets/mail/

# Hur länge en kod gäller: "Den gäller i 10 minuter".
mail-lifetime = { $minutes ->
        [one] { $minutes } minut
       *[other] { $minutes } minuter
    }
# När lösenordet ändrades, i serverns tidszon.
mail-when = { $day } { $month } { $year } kl. { $clock } ({ $zone })
mail-month-1 = januari
mail-month-2 = februari
mail-month-3 = mars
mail-month-4 = april
mail-month-5 = maj
mail-month-6 = juni
mail-month-7 = juli
mail-month-8 = augusti
mail-month-9 = september
mail-month-10 = oktober
mail-month-11 = november
mail-month-12 = december
# Var ändringen gjordes, efter "ändrades den …,".
mail-origin-ssh = via SSH från { $place }
mail-origin-kiosk = vid kiosken { $place }
mail-origin-tty = vid serverns terminal { $place }
mail-origin-local = på själva servern
mail-origin-other = från { $place }

## plain: radläget för skärmläsare och punktskriftsskärmar

plain-welcome = Vid varje fråga: ? för hjälp, b för att gå tillbaka.
plain-quit = Ctrl-C avslutar.
plain-start-choices = 1) Glömt ditt lösenord?  2) Logga in för att prova ett lösenord
plain-help-start = 1 väljer ett nytt lösenord i fem korta steg. 2 provar om ett lösenord fungerar; det öppnar inget annat.
plain-choose = Skriv en siffra och tryck Enter
plain-pick = Skriv en av siffrorna som visas.
plain-help-sign-in = Skriv kontots e-postadress och sedan dess lösenord (det visas inte när du skriver).
plain-help-address = Skriv kontots e-postadress. I det här läget finns inget reglage att dra.
plain-verify-choices = 1) Verifiera via e-post  2) Support (jag har inte kvar den e-postlådan)
plain-help-verify = 1 skickar en sexsiffrig kod till din adress. 2 är för när du inte kan läsa den e-postlådan: supporten kontrollerar att kontot är ditt.
plain-help-code = Skriv de 6 siffrorna i e-postmeddelandet; mellanslag och bindestreck spelar ingen roll, och en inklistrad kod fungerar. t: hur länge koden gäller. r: skicka en ny kod. s: be supporten om hjälp. b: tillbaka.
plain-code-confirmed = Koden är bekräftad.
plain-help-password = Skriv ett nytt lösenord; det visas inte när du skriver. Några ord utan samband ger ett starkt lösenord som är lätt att minnas. Du skriver det två gånger.
plain-rule-failed = Inte än:
plain-strong-enough = Lösenordet uppfyller alla regler. Skriv det igen för att spara det.
plain-press-enter = Tryck Enter för att gå tillbaka till början
plain-press-enter-on = Tryck Enter för att fortsätta
