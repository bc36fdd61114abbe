## Русский: все тексты, которые показывает мастер, и части писем.
## { $name } подставляет rekey. Тест не проходит, если сообщения отсюда
## нет в файле другого языка или в нём другие переменные.

## язык (language)

language-name = Русский

## приложение (app)

app-still-there = { $secs ->
        [one] Вы ещё здесь? Через { $secs } секунду вернёмся к началу — нажмите любую клавишу, чтобы остаться.
        [few] Вы ещё здесь? Через { $secs } секунды вернёмся к началу — нажмите любую клавишу, чтобы остаться.
        [many] Вы ещё здесь? Через { $secs } секунд вернёмся к началу — нажмите любую клавишу, чтобы остаться.
       *[other] Вы ещё здесь? Через { $secs } секунд вернёмся к началу — нажмите любую клавишу, чтобы остаться.
    }
app-step = Шаг { $n } из { $total }
app-busy = Подождите…
app-enlarge = Пожалуйста, увеличьте окно
app-keys-hint = F1 клавиши
app-quit-hint = Ctrl-C выход

## клавиши (keys)

keys-title = Клавиши
keys-close = Нажмите F1 или Esc, чтобы закрыть
keys-esc = Esc: на шаг назад
keys-tab = Tab, Shift-Tab: переход между элементами
keys-enter = Enter: выбрать выделенный элемент
keys-quit = Ctrl-C: выход
keys-language = ← →: сменить язык
keys-slider = → или l: сдвинуть ползунок вправо (удерживайте); ←: влево
keys-code = Цифры или вставка: заполнить поля кода; Backspace: стереть
keys-reveal = F2: показать или скрыть пароли

## вход (sign_in)

sign-in-title = Вход
sign-in-intro = Войдите, чтобы проверить свой пароль. Забыли его? С rekey вы зададите новый за пять коротких шагов.
sign-in-language = Язык
sign-in-forgot = Забыли пароль?
sign-in-demo = Демонстрационная учётная запись: { $address }
sign-in-demo-password = Её пароль сейчас: { $password }
sign-in-address = Адрес электронной почты
sign-in-password = Пароль
sign-in-submit = Войти
sign-in-checking = Проверяем пароль…
sign-in-password-first = Введите пароль.
sign-in-mismatch = Адрес и пароль не совпадают.
sign-in-tries-left = { $n ->
        [one] Пока осталась { $n } попытка.
        [few] Пока осталось { $n } попытки.
        [many] Пока осталось { $n } попыток.
       *[other] Пока осталось { $n } попыток.
    }
sign-in-paused = Слишком много попыток с этим адресом. Попробуйте снова через { $time } или выберите «Забыли пароль?».
sign-in-cannot-check = Сейчас не удаётся проверить пароль. Попробуйте ещё раз через несколько минут.
sign-in-unavailable = Сейчас не удаётся связаться с rekey, поэтому ничего не проверено. Попробуйте ещё раз через минуту.
sign-in-success = Вы вошли. Ваш пароль работает.
sign-in-success-detail = Это окно только проверяет пароли и больше ничего не открывает. { $n ->
        [one] Возврат к началу через { $n } секунду.
        [few] Возврат к началу через { $n } секунды.
        [many] Возврат к началу через { $n } секунд.
       *[other] Возврат к началу через { $n } секунд.
    }

## забытый пароль (forgot)

forgot-burst = Удерживайте →, чтобы сдвинуть ползунок; вставка не считается.
forgot-title = Забыли пароль?
forgot-intro = Введите адрес электронной почты вашей учётной записи, затем сдвиньте ползунок до упора вправо.
forgot-address = Адрес электронной почты
forgot-address-ok = Похоже, всё верно. Нажмите Enter.
forgot-slider = Сдвиньте для проверки
forgot-slider-hint = Удерживайте →, чтобы сдвинуть ползунок
forgot-verified = Проверено
forgot-try-again = Попробуйте ещё раз
forgot-request = Запросить

## подтверждение (verify)

verify-title = Подтвердите, что это вы
verify-intro = Как вы хотите подтвердить, что учётная запись ваша?
verify-email = Подтвердить по электронной почте
verify-email-detail = Мы отправим код подтверждения из 6 цифр на { $address }.
verify-email-action = Далее
verify-support = Служба поддержки
verify-support-detail = У меня больше нет доступа к этому почтовому ящику.
verify-support-action = Создать заявку

## заявка (ticket)

ticket-title = Заявка создана
ticket-reference = Номер вашей заявки: { $reference }
ticket-next = Обратитесь в службу поддержки и назовите этот номер: там проверят, что учётная запись ваша, и помогут задать новый пароль.
ticket-next-desk = Обратитесь в службу поддержки ({ $desk }) и назовите этот номер: там проверят, что учётная запись ваша, и помогут задать новый пароль.
ticket-back = Вернуться к началу
ticket-write-down = Запишите этот номер.
ticket-phone = Телефон: { $phone }
ticket-hours = Часы работы: { $hours }
ticket-ask-title = Обратиться в службу поддержки
ticket-ask-intro = Служба поддержки проверит, что учётная запись ваша, и поможет задать новый пароль. Как с вами связаться?
ticket-contact = Телефон или другой адрес электронной почты
ticket-contact-optional = Телефон или другой адрес электронной почты (необязательно)
ticket-contact-hint = Не тот почтовый ящик, доступ к которому вы потеряли.
ticket-contact-needed = Службе поддержки нужно как-то с вами связаться: введите номер телефона или адрес электронной почты.
ticket-contact-invalid = Это не номер телефона (цифры, пробелы, + - ( )) и не адрес электронной почты.
ticket-open = Создать заявку
ticket-opening = Создаём заявку…
ticket-reach-you = Служба поддержки свяжется с вами: { $contact }.

## проверка почты (check)

check-title = Проверьте электронную почту
check-intro = Если адрес { $address } привязан к учётной записи, мы отправим на него код подтверждения из 6 цифр.
check-intro-sent = Если адрес { $address } привязан к учётной записи, код из 6 цифр уже отправлен на него. Ошиблись адресом? Нажмите Esc, чтобы изменить его.
check-get-code = Получить код подтверждения
check-sending = Отправляем код…
check-code = Код подтверждения
check-valid-for = Действует ещё { $time }
check-expired = Срок действия кода истёк. Запросите новый.
check-tries-left = { $n ->
        [one] Осталась { $n } попытка
        [few] Осталось { $n } попытки
        [many] Осталось { $n } попыток
       *[other] Осталось { $n } попыток
    }
check-locked = Попыток для этого кода больше нет. Запросите новый.
check-resend-in = Отправить снова через { $time }
check-resend = Отправить снова
check-email-closed = Этот код израсходован, а новые коды пока отправить нельзя: новый можно будет запросить через { $time }. Если ждать вы не можете, поможет служба поддержки.
check-support = Обратиться в службу поддержки
check-confirmed = Код подтверждён. Нажмите Enter, чтобы задать новый пароль.
check-continue = Далее
check-resend-later = Больше кодов пока отправить нельзя. Попробуйте снова через { $time }.
check-confirm = Подтвердить
check-wrong = Код неверный. { $n ->
        [one] Осталась { $n } попытка.
        [few] Осталось { $n } попытки.
        [many] Осталось { $n } попыток.
       *[other] Осталось { $n } попыток.
    }
check-phrase = Слова в письме: { $phrase }
check-mail-sending = Отправляем код…
check-mail-sent = Отправлено. Письмо может идти около минуты.
check-mail-delayed = Письмо задерживается. Мы продолжаем попытки; вы также можете отправить код снова.

## пароль (password)

password-hide = F2 скрывает пароль
password-non-ascii = Сможете ли вы набрать его на любой клавиатуре, которой пользуетесь? В нём есть буквы помимо латинских A–Z.
password-title = Придумайте новый пароль
password-intro = Несколько не связанных между собой слов — надёжный пароль, который легко запомнить.
password-new = Новый пароль
password-again = Повторите пароль
password-matches = Совпадает
password-differs = Пока не совпадает
password-reveal = F2 показывает пароль
password-strength = Надёжность
password-rules = Требования к паролю:
password-score-0 = Очень слабый
password-score-1 = Слабый
password-score-2 = Средний
password-score-3 = Надёжный
password-score-4 = Очень надёжный
password-crack-time = Время на подбор: { $time }
password-rule-min-length = Не менее { $n ->
        [one] { $n } символа
        [few] { $n } символов
        [many] { $n } символов
       *[other] { $n } символов
    }
password-rule-max-length = Не более { $n ->
        [one] { $n } символа
        [few] { $n } символов
        [many] { $n } символов
       *[other] { $n } символов
    }
password-rule-min-score = Сложно подобрать
password-rule-not-personal = Не содержит вашего имени или адреса
password-rule-printable = Без управляющих символов
password-rule-not-recent = { $n ->
        [one] Отличается от { $n } последнего пароля
        [few] Отличается от { $n } последних паролей
        [many] Отличается от { $n } последних паролей
       *[other] Отличается от { $n } последних паролей
    }
password-saving = Сохраняем новый пароль…

## готово (done)

done-title = Пароль изменён
done-message = Новый пароль установлен. Теперь входите с ним.
done-notice = Мы также отправили на вашу электронную почту письмо об этом изменении.
done-sign-in = Попробовать новый пароль
done-propagation = Может пройти несколько минут, прежде чем новый пароль заработает во всех системах.
done-returning = { $n ->
        [one] Возврат к началу через { $n } секунду
        [few] Возврат к началу через { $n } секунды
        [many] Возврат к началу через { $n } секунд
       *[other] Возврат к началу через { $n } секунд
    }

## время (time)

time-instant = меньше секунды
time-seconds = { $n ->
        [one] { $n } секунда
        [few] { $n } секунды
        [many] { $n } секунд
       *[other] { $n } секунд
    }
time-minutes = { $n ->
        [one] { $n } минута
        [few] { $n } минуты
        [many] { $n } минут
       *[other] { $n } минут
    }
time-hours = { $n ->
        [one] { $n } час
        [few] { $n } часа
        [many] { $n } часов
       *[other] { $n } часов
    }
time-days = { $n ->
        [one] { $n } день
        [few] { $n } дня
        [many] { $n } дней
       *[other] { $n } дней
    }
time-months = { $n ->
        [one] { $n } месяц
        [few] { $n } месяца
        [many] { $n } месяцев
       *[other] { $n } месяцев
    }
time-years = { $n ->
        [one] { $n } год
        [few] { $n } года
        [many] { $n } лет
       *[other] { $n } лет
    }
time-centuries = века

## почтовый ящик (mailbox)

mailbox-title = Демонстрационный почтовый ящик
# Почтовый ящик одной строкой, когда в маленьком окне нет места для панели.
mailbox-newest = Последнее письмо: { $text }
mailbox-empty = Писем пока нет. Здесь появятся письма, которые отправит rekey.
mailbox-count = { $n ->
        [one] В ящике { $n } письмо. Самое новое — на адрес { $to }:
        [few] В ящике { $n } письма. Самое новое — на адрес { $to }:
        [many] В ящике { $n } писем. Самое новое — на адрес { $to }:
       *[other] В ящике { $n } писем. Самое новое — на адрес { $to }:
    }

## ошибки (error)

error-no-session = Этот сеанс завершён. Введите адрес, чтобы начать заново.
error-unavailable = Связь с сервисом rekey потеряна. Пытаемся подключиться снова.
error-busy = Сейчас rekey занят. Попробуйте ещё раз чуть позже.
error-store-down = Сейчас rekey не может обратиться к своим данным, поэтому ничего не изменено. Попробуйте ещё раз чуть позже.
error-reconnected = Связь восстановлена. Введите адрес, чтобы продолжить, и запросите новый код: прежний относился к потерянному сеансу.
error-address-empty = Введите адрес электронной почты.
error-address-too-long = Адрес слишком длинный.
error-address-one-at = В адресе электронной почты должен быть один знак @, как в name@example.com.
error-address-local = Часть до @ указана неверно.
error-address-domain = Часть после @ не является допустимым доменом.
error-address-no-dot = В домене должна быть точка, как в example.com.
error-address-ip = Укажите имя домена, а не IP-адрес.
error-slide-first = Сначала сдвиньте ползунок до упора вправо.
error-address-first = Сначала введите адрес электронной почты.
error-request-first = Начните заново с адреса электронной почты.
error-wrong-step = Этот шаг сейчас недоступен.
error-ended = Восстановление завершено. Чтобы изменить что-то ещё, начните заново.
error-resend-too-soon = Новый код можно будет отправить через { $time }.
error-hourly-limit = За последний час отправлено слишком много кодов. Попробуйте снова через { $time }.
error-code-expired = Срок действия кода истёк. Запросите новый.
error-no-tries-left = Попыток для этого кода больше нет. Запросите новый.
error-code-replaced = Этот код заменён более новым.
error-not-confirmed = Сначала подтвердите код.
error-code-length = В коде 6 цифр.
error-code-digits = Код состоит только из цифр.
error-passwords-differ = Пароли не совпадают.
error-password-refused = Пароль пока соответствует не всем требованиям.
error-refused-recent = Вы уже использовали этот пароль. Выберите такой, которого ещё не было.
error-refused-short = Пароль должен содержать не менее { $n ->
        [one] { $n } символа.
        [few] { $n } символов.
        [many] { $n } символов.
       *[other] { $n } символов.
    }
error-refused-long = Пароль может содержать не более { $n ->
        [one] { $n } символа.
        [few] { $n } символов.
        [many] { $n } символов.
       *[other] { $n } символов.
    }
error-refused-guessable = Этот пароль слишком легко подобрать. Добавьте ещё одно-два слова.
error-refused-personal = Пароль составлен из вашего имени или адреса.
error-refused-control = В пароле есть управляющий символ.
error-internal = У нас что-то пошло не так. Попробуйте ещё раз чуть позже.
error-cannot-save = Сейчас rekey не может ничего сохранить, поэтому ничего не изменено. Попробуйте позже.
error-not-saved = Не удалось до конца сохранить этот шаг. Попробуйте позже.
error-directory-down = Сейчас пароль изменить нельзя. Ваш код по-прежнему действует: попробуйте снова через несколько минут.
error-directory-too-short = Правила вашей организации требуют более длинный пароль. Выберите пароль длиннее.
error-directory-too-simple = По правилам вашей организации этот пароль слишком простой. Выберите другой.
error-directory-in-history = Вы уже использовали этот пароль. Выберите такой, которого ещё не было.
error-directory-locked = Ваша учётная запись заблокирована. Чтобы её разблокировать, обратитесь в службу поддержки.
error-directory-other = Правила вашей организации не приняли этот пароль. Выберите другой.
error-change-unconfirmed = Мы не смогли подтвердить изменение. Через несколько минут попробуйте войти с новым паролем; если не получится, попробуйте ещё раз здесь.
error-change-in-progress = Этот пароль уже меняется. Подождите немного.

## советы (advice)

advice-straight-rows-of-keys-are-easy-to-guess = Клавиши, идущие подряд в одном ряду, легко подобрать.
advice-short-keyboard-patterns-are-easy-to-guess = Короткие клавиатурные комбинации легко подобрать.
advice-repeats-like-aaa-are-easy-to-guess = Повторы вроде «aaa» легко подобрать.
advice-repeats-like-abc-abc-are-only-slightly-harder-to-guess = Повторы вроде «abcabcabc» подобрать лишь немного труднее, чем «abc».
advice-this-is-a-top10-password = Это один из 10 самых распространённых паролей.
advice-this-is-a-top100-password = Это один из 100 самых распространённых паролей.
advice-this-is-a-common-password = Это очень распространённый пароль.
advice-this-is-similar-to-a-commonly-used-password = Этот пароль похож на распространённый.
advice-sequences-like-abc-are-easy-to-guess = Последовательности вроде abc или 6543 легко подобрать.
advice-recent-years-are-easy-to-guess = Недавние годы легко подобрать.
advice-a-word-by-itself-is-easy-to-guess = Одно слово само по себе легко подобрать.
advice-dates-are-often-easy-to-guess = Даты часто легко подобрать.
advice-names-and-surnames-by-themselves-are-easy-to-guess = Имена и фамилии сами по себе легко подобрать.
advice-common-names-and-surnames-are-easy-to-guess = Распространённые имена и фамилии легко подобрать.
advice-use-a-few-words-avoid-common-phrases = Возьмите несколько слов и избегайте расхожих фраз.
advice-no-need-for-symbols-digits-or-uppercase-letters = Символы, цифры и заглавные буквы не обязательны.
advice-add-another-word-or-two = Добавьте ещё одно-два слова. Редкие слова лучше.
advice-capitalization-doesnt-help-very-much = Заглавная буква почти не помогает.
advice-all-uppercase-is-almost-as-easy-to-guess-as-all-lowercase = Пароль из одних заглавных букв подобрать почти так же легко, как из одних строчных.
advice-reversed-words-arent-much-harder-to-guess = Слова задом наперёд подобрать ненамного труднее.
advice-predictable-substitutions-dont-help-very-much = Предсказуемые замены вроде «@» вместо «a» почти не помогают.
advice-use-a-longer-keyboard-pattern-with-more-turns = Используйте более длинную комбинацию клавиш с большим числом поворотов.
advice-avoid-repeated-words-and-characters = Избегайте повторяющихся слов и символов.
advice-avoid-sequences = Избегайте последовательностей.
advice-avoid-recent-years = Избегайте недавних годов.
advice-avoid-years-that-are-associated-with-you = Избегайте годов, связанных с вами.
advice-avoid-dates-and-years-that-are-associated-with-you = Избегайте дат и годов, связанных с вами.

## письма: части шаблонов писем в assets/mail/

# Сколько действует код, в письме с кодом: «Код действует 10 минут».
mail-lifetime = { $minutes ->
        [one] { $minutes } минуту
        [few] { $minutes } минуты
        [many] { $minutes } минут
       *[other] { $minutes } минут
    }
# Когда изменён пароль, в часовом поясе сервера.
mail-when = { $day } { $month } { $year } г. в { $clock } ({ $zone })
mail-month-1 = января
mail-month-2 = февраля
mail-month-3 = марта
mail-month-4 = апреля
mail-month-5 = мая
mail-month-6 = июня
mail-month-7 = июля
mail-month-8 = августа
mail-month-9 = сентября
mail-month-10 = октября
mail-month-11 = ноября
mail-month-12 = декабря
# Где сделано изменение, после «был изменён …,».
mail-origin-ssh = через SSH с адреса { $place }
mail-origin-kiosk = в киоске { $place }
mail-origin-tty = на терминале сервера { $place }
mail-origin-local = на самом сервере
mail-origin-other = источник: { $place }

## plain: построчный режим для программ экранного доступа и брайлевских дисплеев

plain-welcome = На любой вопрос: ? — подсказка, b — назад.
plain-quit = Ctrl-C — выход.
plain-start-choices = 1) Забыли пароль?  2) Войти, чтобы проверить пароль
plain-help-start = 1 — задать новый пароль за пять коротких шагов. 2 — проверить, работает ли пароль; больше ничего не открывается.
plain-choose = Введите номер и нажмите Enter
plain-pick = Введите один из показанных номеров.
plain-help-sign-in = Введите адрес электронной почты своей учётной записи, затем её пароль (при вводе он не показывается).
plain-help-address = Введите адрес электронной почты своей учётной записи. В этом режиме ползунок не нужен.
plain-verify-choices = 1) Подтвердить по электронной почте  2) Служба поддержки (у меня больше нет доступа к этому ящику)
plain-help-verify = 1 — отправить 6-значный код на ваш адрес. 2 — если вы не можете прочитать этот ящик: служба поддержки проверит, что учётная запись ваша.
plain-help-code = Введите 6 цифр из письма; пробелы и дефисы не важны, вставленный код тоже подойдёт. t — сколько ещё действует код. r — отправить новый код. s — обратиться в службу поддержки. b — назад.
plain-code-confirmed = Код подтверждён.
plain-help-password = Введите новый пароль; при вводе он не показывается. Несколько не связанных между собой слов дают надёжный и легко запоминающийся пароль. Его нужно ввести дважды.
plain-rule-failed = Пока нет:
plain-strong-enough = Пароль соответствует всем правилам. Введите его ещё раз, чтобы сохранить.
plain-press-enter = Нажмите Enter, чтобы вернуться к началу
plain-press-enter-on = Нажмите Enter, чтобы продолжить
