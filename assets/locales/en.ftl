## English: every string the wizard shows, and the pieces of the mail.
## { $name } is filled in by rekey. A test fails when a message here is
## missing from another language's file, or uses other variables.

## language

language-name = English

## app

app-still-there = Still there? Going back to the start in { $secs } s — press any key.
app-step = Step { $n } of { $total }
app-busy = Working…
app-enlarge = Please enlarge the window
app-keys-hint = F1 keys
app-quit-hint = Ctrl-C quit

## keys

keys-title = Keys
keys-close = Press F1 or Esc to close
keys-esc = Esc: back one step
keys-tab = Tab, Shift-Tab: move between controls
keys-enter = Enter: activate the highlighted control
keys-quit = Ctrl-C: quit
keys-language = ← →: change the language
keys-slider = → or l: move the knob right (hold it down); ←: left
keys-code = Digits or paste: fill the code boxes; Backspace: delete
keys-reveal = F2: show or hide the passwords

## sign_in

sign-in-title = Sign in
sign-in-intro = Sign in to check your password. Forgot it? rekey helps you set a new one in five short steps.
sign-in-language = Language
sign-in-forgot = Forgot your password?
sign-in-demo = Demo account: { $address }
sign-in-demo-password = Its password now: { $password }
sign-in-address = E-mail address
sign-in-password = Password
sign-in-submit = Sign in
sign-in-checking = Checking your password…
sign-in-password-first = Type your password.
sign-in-mismatch = That address and password do not match.
sign-in-tries-left = { $n ->
        [one] { $n } more try for now.
       *[other] { $n } more tries for now.
    }
sign-in-paused = Too many tries with this address. Try again in { $time }, or choose "Forgot your password?".
sign-in-cannot-check = The password cannot be checked right now. Please try again in a few minutes.
sign-in-unavailable = rekey cannot be reached right now, so nothing was checked. Please try again in a moment.
sign-in-success = Signed in. Your password works.
sign-in-success-detail = This window only checks passwords: it opens nothing else. Back to the start in { $n } s.

## forgot

forgot-burst = Hold → down to slide the knob; a paste does not count.
forgot-title = Forgot your password?
forgot-intro = Type the e-mail address of your account, then slide the knob to the right end.
forgot-address = E-mail address
forgot-address-ok = Looks right. Press Enter.
forgot-slider = Slide to verify
forgot-slider-hint = Hold → to slide the knob
forgot-verified = Verified
forgot-try-again = Please try again
forgot-request = Request

## verify

verify-title = Verify your identity
verify-intro = How do you want to show that the account is yours?
verify-email = Verify by e-mail
verify-email-detail = We send a 6-digit code to { $address }.
verify-email-action = Check now
verify-support = Support
verify-support-detail = I no longer have that mailbox.
verify-support-action = Open a ticket

## ticket

ticket-title = Ticket opened
ticket-reference = Your reference: { $reference }
ticket-next = Contact the support desk and quote it: they check that the account is yours and help you set a new password.
ticket-next-desk = Contact { $desk } and quote it: they check that the account is yours and help you set a new password.
ticket-back = Back to the start
ticket-write-down = Write this reference down.
ticket-phone = Phone: { $phone }
ticket-hours = Open: { $hours }
ticket-ask-title = Ask Support for help
ticket-ask-intro = Support checks that the account is yours and helps you set a new password. How can they reach you?
ticket-contact = Phone or another e-mail address
ticket-contact-optional = Phone or another e-mail address (optional)
ticket-contact-hint = Not the mailbox you lost.
ticket-contact-needed = Support needs a way to reach you: type a phone number or an e-mail address.
ticket-contact-invalid = That is neither a phone number (digits, spaces, + - ( )) nor an e-mail address.
ticket-open = Open a ticket
ticket-opening = Opening the ticket…
ticket-reach-you = Support will contact you at { $contact }.

## check

check-title = Check your email
check-intro = If an account uses { $address }, we send it a 6-digit code.
check-intro-sent = If an account uses { $address }, a 6-digit code is on its way there. Wrong address? Esc to change it.
check-get-code = Get a verification code
check-sending = Sending the code…
check-code = Verification code
check-valid-for = Valid for { $time }
check-expired = The code has expired. Ask for a new one.
check-tries-left = { $n ->
        [one] { $n } try left
       *[other] { $n } tries left
    }
check-locked = No tries left for this code. Ask for a new one.
check-resend-in = Resend in { $time }
check-resend = Resend
check-email-closed = This code is used up, and no more codes can be sent for now: you can ask for a new one in { $time }. If you cannot wait, Support can help.
check-support = Get help from Support
check-confirmed = Code confirmed. Press Enter to create your new password.
check-continue = Continue
check-resend-later = No more codes for now. Try again in { $time }.
check-confirm = Confirm
check-wrong = That code is not right. { $n ->
        [one] { $n } try left.
       *[other] { $n } tries left.
    }
check-phrase = Words in the mail: { $phrase }
check-mail-sending = Sending the code…
check-mail-sent = Sent. It can take a minute.
check-mail-delayed = Mail is running late. We keep trying; you can also resend.

## password

password-hide = F2 hides the password
password-non-ascii = Can you type this at every keyboard you use? It has letters outside A to Z.
password-title = Create a new password
password-intro = A few unrelated words make a strong password that is easy to remember.
password-new = New password
password-again = Type it again
password-matches = Matches
password-differs = Not the same yet
password-reveal = F2 shows the password
password-strength = Strength
password-rules = Your password needs:
password-score-0 = Very weak
password-score-1 = Weak
password-score-2 = Fair
password-score-3 = Strong
password-score-4 = Very strong
password-crack-time = Time to guess it: { $time }
password-rule-min-length = At least { $n ->
        [one] { $n } character
       *[other] { $n } characters
    }
password-rule-max-length = At most { $n ->
        [one] { $n } character
       *[other] { $n } characters
    }
password-rule-min-score = Hard to guess
password-rule-not-personal = Not made from your name or address
password-rule-printable = No control characters
password-rule-not-recent = { $n ->
        [one] Not your last password
       *[other] Not one of your last { $n } passwords
    }
password-saving = Saving your new password…

## done

done-title = Password changed
done-message = Your new password is set. Sign in with it from now on.
done-notice = We also sent a note about the change to your mailbox.
done-sign-in = Try your new password
done-propagation = It can take a few minutes to reach every system.
done-returning = Back to the start in { $n } s

## time

time-instant = less than a second
time-seconds = { $n ->
        [one] { $n } second
       *[other] { $n } seconds
    }
time-minutes = { $n ->
        [one] { $n } minute
       *[other] { $n } minutes
    }
time-hours = { $n ->
        [one] { $n } hour
       *[other] { $n } hours
    }
time-days = { $n ->
        [one] { $n } day
       *[other] { $n } days
    }
time-months = { $n ->
        [one] { $n } month
       *[other] { $n } months
    }
time-years = { $n ->
        [one] { $n } year
       *[other] { $n } years
    }
time-centuries = centuries

## mailbox

mailbox-title = Demo mailbox
# The mailbox in one line, where a small window has no room for its panel.
mailbox-newest = Newest mail: { $text }
mailbox-empty = No mail yet. Mail the wizard sends shows up here.
mailbox-count = Messages: { $n }. The newest, to { $to }:

## error

error-no-session = This session has ended. Type your address to start again.
error-unavailable = Lost contact with the rekey service. Trying to reconnect.
error-busy = rekey is busy right now. Please try again in a moment.
error-store-down = rekey cannot reach its records right now, so nothing was changed. Please try again in a moment.
error-reconnected = Connected again. Type your address to carry on, then ask for a new code: the one sent before belonged to the lost session.
error-address-empty = Type your e-mail address.
error-address-too-long = That address is too long.
error-address-one-at = An e-mail address has one @, as in name@example.com.
error-address-local = The part before the @ is not valid.
error-address-domain = The part after the @ is not a valid domain.
error-address-no-dot = The domain needs a dot, as in example.com.
error-address-ip = Use a domain name, not an IP address.
error-slide-first = Slide the knob to the right end first.
error-address-first = Type your e-mail address first.
error-request-first = Start again from your e-mail address.
error-wrong-step = That step is not available now.
error-ended = This recovery is finished. Start again to make another change.
error-resend-too-soon = A new code can be sent in { $time }.
error-hourly-limit = Too many codes were sent in the last hour. Try again in { $time }.
error-code-expired = The code has expired. Ask for a new one.
error-no-tries-left = No tries left for this code. Ask for a new one.
error-code-replaced = That code was replaced by a newer one.
error-not-confirmed = Confirm your code first.
error-code-length = The code has 6 digits.
error-code-digits = The code has digits only.
error-passwords-differ = The two passwords are not the same.
error-password-refused = The password does not meet every rule yet.
error-refused-recent = You used this password before. Choose one you have not used.
error-refused-short = The password needs at least { $n ->
        [one] { $n } character.
       *[other] { $n } characters.
    }
error-refused-long = The password can have at most { $n ->
        [one] { $n } character.
       *[other] { $n } characters.
    }
error-refused-guessable = The password is too easy to guess. Add another word or two.
error-refused-personal = The password is made from your name or address.
error-refused-control = The password has a control character in it.
error-internal = Something went wrong on our side. Please try again in a moment.
error-cannot-save = rekey cannot save anything right now, so nothing was changed. Please try again later.
error-not-saved = rekey could not finish saving this step. Please try again later.
error-directory-down = The password cannot be changed right now. Your code still works: please try again in a few minutes.
error-directory-too-short = Your organisation's rules need a longer password. Please choose a longer one.
error-directory-too-simple = Your organisation's rules find this password too simple. Please choose another.
error-directory-in-history = You have used this password before. Please choose one you have not used.
error-directory-locked = Your account is locked. Please contact support to unlock it.
error-directory-other = Your organisation's rules refused this password. Please choose another.
error-change-unconfirmed = We could not confirm the change. In a few minutes, try signing in with the new password; if it does not work, try again here.
error-change-in-progress = A change of this password is already on its way. Please wait a moment.

## advice

advice-straight-rows-of-keys-are-easy-to-guess = Straight rows of keys are easy to guess.
advice-short-keyboard-patterns-are-easy-to-guess = Short keyboard patterns are easy to guess.
advice-repeats-like-aaa-are-easy-to-guess = Repeats like "aaa" are easy to guess.
advice-repeats-like-abc-abc-are-only-slightly-harder-to-guess = Repeats like "abcabcabc" are only slightly harder to guess than "abc".
advice-this-is-a-top10-password = This is a top-10 common password.
advice-this-is-a-top100-password = This is a top-100 common password.
advice-this-is-a-common-password = This is a very common password.
advice-this-is-similar-to-a-commonly-used-password = This is similar to a commonly used password.
advice-sequences-like-abc-are-easy-to-guess = Sequences like abc or 6543 are easy to guess.
advice-recent-years-are-easy-to-guess = Recent years are easy to guess.
advice-a-word-by-itself-is-easy-to-guess = A word by itself is easy to guess.
advice-dates-are-often-easy-to-guess = Dates are often easy to guess.
advice-names-and-surnames-by-themselves-are-easy-to-guess = Names and surnames by themselves are easy to guess.
advice-common-names-and-surnames-are-easy-to-guess = Common names and surnames are easy to guess.
advice-use-a-few-words-avoid-common-phrases = Use a few words, avoid common phrases.
advice-no-need-for-symbols-digits-or-uppercase-letters = No need for symbols, digits, or uppercase letters.
advice-add-another-word-or-two = Add another word or two. Uncommon words are better.
advice-capitalization-doesnt-help-very-much = Capitalization doesn't help very much.
advice-all-uppercase-is-almost-as-easy-to-guess-as-all-lowercase = All-uppercase is almost as easy to guess as all-lowercase.
advice-reversed-words-arent-much-harder-to-guess = Reversed words aren't much harder to guess.
advice-predictable-substitutions-dont-help-very-much = Predictable substitutions like '@' instead of 'a' don't help very much.
advice-use-a-longer-keyboard-pattern-with-more-turns = Use a longer keyboard pattern with more turns.
advice-avoid-repeated-words-and-characters = Avoid repeated words and characters.
advice-avoid-sequences = Avoid sequences.
advice-avoid-recent-years = Avoid recent years.
advice-avoid-years-that-are-associated-with-you = Avoid years that are associated with you.
advice-avoid-dates-and-years-that-are-associated-with-you = Avoid dates and years that are associated with you.

## mail: pieces of the mail templates under assets/mail/

# How long a code works, in the code's mail: "It is valid for 10 minutes".
mail-lifetime = { $minutes ->
        [one] { $minutes } minute
       *[other] { $minutes } minutes
    }
# When a password changed, in the server's time zone.
mail-when = { $day } { $month } { $year } at { $clock } ({ $zone })
mail-month-1 = January
mail-month-2 = February
mail-month-3 = March
mail-month-4 = April
mail-month-5 = May
mail-month-6 = June
mail-month-7 = July
mail-month-8 = August
mail-month-9 = September
mail-month-10 = October
mail-month-11 = November
mail-month-12 = December
# Where the change was made, after "was changed on … ,".
mail-origin-ssh = over SSH from { $place }
mail-origin-kiosk = at the kiosk { $place }
mail-origin-tty = at the terminal { $place } of the server
mail-origin-local = on the server itself
mail-origin-other = from { $place }

## plain: the line mode for screen readers and braille displays

plain-welcome = At every question: ? for help, b to go back.
plain-quit = Ctrl-C quits.
plain-start-choices = 1) Forgot your password?  2) Sign in to check a password
plain-help-start = 1 sets a new password in five short steps. 2 checks whether a password works; it opens nothing else.
plain-choose = Type a number, then Enter
plain-pick = Type one of the numbers shown.
plain-help-sign-in = Type the e-mail address of your account, then its password (it is not shown as you type).
plain-help-address = Type the e-mail address of your account. There is nothing to slide in this mode.
plain-verify-choices = 1) Verify by e-mail  2) Support (I no longer have that mailbox)
plain-help-verify = 1 sends a 6-digit code to your address. 2 is for when you cannot read that mailbox: Support checks that the account is yours.
plain-help-code = Type the 6 digits from the mail; spaces and dashes do not matter, and a pasted code works. t: how long the code is valid. r: send a new code. s: ask Support. b: back.
plain-code-confirmed = Code confirmed.
plain-help-password = Type a new password; it is not shown as you type. A few unrelated words make a strong one that is easy to remember. You type it twice.
plain-rule-failed = Not yet:
plain-strong-enough = This password meets every rule. Type it again to save it.
plain-press-enter = Press Enter to go back to the start
plain-press-enter-on = Press Enter to go on
