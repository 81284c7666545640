"""The message catalog: every text a guest can receive, built in for English, German, Spanish, French, Italian and
Portuguese. A client may override any text per language in its config (tone, formality, emoji), and add any other
language by giving every text for it; `tagback.config` checks the texts' keys and placeholders against this catalog,
and every text against Meta's limits, so a typo or a missing text fails validation instead of a guest's DM.

Review texts never mention the prize or any reward, and every guest is asked the same way (Google's review
policy, the FTC rule on reviews, the UK DMCC Act).
"""

from __future__ import annotations

from typing import Final

from tagback.domain.languages import Language

# The placeholders each text may use; the ones it must use are listed in REQUIRED_PLACEHOLDERS.
PLACEHOLDERS: Final[dict[str, frozenset[str]]] = {
    "language_question": frozenset({"venue"}),
    "language_unclear": frozenset(),
    "table_question": frozenset({"venue"}),
    "table_invalid": frozenset({"tables"}),
    "table_claimed": frozenset({"venue"}),
    "prize_awarded": frozenset({"venue", "prize", "code", "valid_until"}),
    "repeat_mention": frozenset({"venue"}),
    "all_prizes_given": frozenset({"venue"}),
    "coupon_valid_until": frozenset({"valid_until"}),
    "coupon_show_staff": frozenset(),
    "bot_disclosure": frozenset({"venue"}),
    "promotion_terms": frozenset({"terms_url"}),
    "review_question": frozenset({"venue"}),
    "answer_yes": frozenset(),
    "answer_no": frozenset(),
    "review_link": frozenset({"venue", "link"}),
    "review_links": frozenset({"venue"}),
    "review_declined": frozenset({"venue"}),
    "contact_question": frozenset({"venue", "channels", "consent"}),
    "channel_email": frozenset(),
    "channel_phone": frozenset(),
    "channel_both": frozenset(),
    "channel_none": frozenset(),
    "ask_email": frozenset(),
    "ask_phone": frozenset(),
    "invalid_email": frozenset(),
    "invalid_phone": frozenset(),
    "contact_skipped": frozenset(),
    "contact_thanks": frozenset({"venue"}),
    "opted_out": frozenset({"venue"}),
    "opted_in": frozenset({"venue"}),
    "fallback": frozenset({"venue", "instagram_username"}),
    "fallback_after_prize": frozenset({"venue"}),
}
REQUIRED_PLACEHOLDERS: Final[dict[str, frozenset[str]]] = {
    "prize_awarded": frozenset({"code"}),
    "review_link": frozenset({"link"}),
    "promotion_terms": frozenset({"terms_url"}),
    "contact_question": frozenset({"consent"}),
    "fallback": frozenset({"instagram_username"}),  # it says how to take part: a story that mentions the venue
}
# Texts shown as quick-reply titles: Meta cuts them at 20 characters.
BUTTON_TITLES: Final[frozenset[str]] = frozenset(
    {"answer_yes", "answer_no", "channel_email", "channel_phone", "channel_both", "channel_none"}
)

DEFAULT_TEXTS: Final[dict[Language, dict[str, str]]] = {
    "en": {
        "language_question": "Hi from {venue}! Which language would you like?",
        "language_unclear": "Sorry, which language would you like? Tap one below.",
        "table_question": "Which table are you at? Please reply with the number on the table sign.",
        "table_invalid": "Please reply with just the table number from the sign (our tables: {tables}).",
        "table_claimed": "Thanks for sharing {venue}! Your table already has today's prize. Enjoy your visit!",
        "prize_awarded": "Thanks for sharing {venue} in your story! 🎉 Your prize: {prize}. "
        "Show this code to our staff: {code} (valid until {valid_until}).",
        "repeat_mention": "Thanks for sharing {venue} again! It's one prize per day, see you tomorrow.",
        "all_prizes_given": "Thanks for sharing {venue}! All of today's prizes have been given, come back tomorrow.",
        "coupon_valid_until": "Valid until {valid_until}",
        "coupon_show_staff": "Show this coupon to our staff",
        "bot_disclosure": "(This is {venue}'s automated assistant.)",
        "promotion_terms": "Promotion terms: {terms_url}",
        "review_question": "How was your visit to {venue}? Would you like to leave us a review on Google?",
        "answer_yes": "Yes",
        "answer_no": "No",
        "review_link": "Thank you! Here is the link to write your review of {venue}: {link}",
        "review_links": "Thank you! Choose where to review {venue}:",
        "review_declined": "No problem, thanks for visiting {venue}!",
        "contact_question": "Would you like to hear about {venue}'s offers by {channels}? {consent}",
        "channel_email": "Email",
        "channel_phone": "Phone",
        "channel_both": "Both",
        "channel_none": "No, thanks",
        "ask_email": "Great! What's your email address?",
        "ask_phone": "What's your phone number, with the country code (e.g. +44 20 7946 0958)?",
        "invalid_email": "That doesn't look like an email address. Could you check it and send it again?",
        "invalid_phone": "That doesn't look like a phone number. Could you send it with the country code?",
        "contact_skipped": "No problem, let's skip that.",
        "contact_thanks": "Thank you! You can reply STOP at any time to stop hearing from {venue}.",
        "opted_out": "Done: {venue} won't message you any more, except to answer a story you tag us in. "
        "Reply START to undo this.",
        "opted_in": "Done: {venue} can message you here again. Reply STOP at any time to stop.",
        "fallback": "Thanks for your message! To get a prize, post a story that mentions @{instagram_username}: "
        "your prize arrives here. This chat only handles story prizes; for anything else, please ask our team at "
        "{venue}.",
        "fallback_after_prize": "Thanks for your message! This chat only handles story prizes; for anything else, "
        "please ask our team at {venue}.",
    },
    "de": {
        "language_question": "Hallo von {venue}! Welche Sprache möchtest du?",
        "language_unclear": "Entschuldigung, welche Sprache möchtest du? Tippe unten auf eine.",
        "table_question": "An welchem Tisch sitzt du? Antworte bitte mit der Nummer auf dem Tischschild.",
        "table_invalid": "Bitte antworte nur mit der Tischnummer vom Schild (unsere Tische: {tables}).",
        "table_claimed": "Danke fürs Teilen von {venue}! Dein Tisch hat seinen Preis heute schon. Viel Spaß!",
        "prize_awarded": "Danke, dass du {venue} in deiner Story geteilt hast! 🎉 Dein Preis: {prize}. "
        "Zeig diesen Code unserem Team: {code} (gültig bis {valid_until}).",
        "repeat_mention": "Danke, dass du {venue} wieder geteilt hast! Es gibt einen Preis pro Tag, bis morgen!",
        "all_prizes_given": "Danke fürs Teilen von {venue}! Die Preise für heute sind alle vergeben, "
        "komm morgen wieder.",
        "coupon_valid_until": "Gültig bis {valid_until}",
        "coupon_show_staff": "Zeig diesen Gutschein unserem Team",
        "bot_disclosure": "(Dies ist der automatische Assistent von {venue}.)",
        "promotion_terms": "Teilnahmebedingungen: {terms_url}",
        "review_question": "Wie war dein Besuch bei {venue}? Möchtest du uns eine Bewertung auf Google schreiben?",
        "answer_yes": "Ja",
        "answer_no": "Nein",
        "review_link": "Danke! Hier ist der Link für deine Bewertung von {venue}: {link}",
        "review_links": "Danke! Wähle, wo du {venue} bewerten möchtest:",
        "review_declined": "Kein Problem, danke für deinen Besuch bei {venue}!",
        "contact_question": "Möchtest du Angebote von {venue} per {channels} erhalten? {consent}",
        "channel_email": "E-Mail",
        "channel_phone": "Telefon",
        "channel_both": "Beides",
        "channel_none": "Nein, danke",
        "ask_email": "Super! Wie lautet deine E-Mail-Adresse?",
        "ask_phone": "Wie lautet deine Telefonnummer mit Ländervorwahl (z. B. +49 30 123456)?",
        "invalid_email": "Das sieht nicht nach einer E-Mail-Adresse aus. Kannst du sie prüfen und nochmal senden?",
        "invalid_phone": "Das sieht nicht nach einer Telefonnummer aus. Schick sie bitte mit Ländervorwahl.",
        "contact_skipped": "Kein Problem, dann überspringen wir das.",
        "contact_thanks": "Danke! Du kannst jederzeit STOPP antworten, dann schreibt dir {venue} nicht mehr.",
        "opted_out": "Erledigt: {venue} schreibt dir nicht mehr, außer als Antwort auf eine Story, in der du uns "
        "markierst. Antworte START, um das rückgängig zu machen.",
        "opted_in": "Erledigt: {venue} darf dir hier wieder schreiben. Antworte jederzeit STOPP, um das zu beenden.",
        "fallback": "Danke für deine Nachricht! Für einen Preis poste eine Story, in der du @{instagram_username} "
        "erwähnst: Dein Preis kommt dann hier an. Dieser Chat ist nur für Story-Preise da; für alles andere frag "
        "bitte unser Team bei {venue}.",
        "fallback_after_prize": "Danke für deine Nachricht! Dieser Chat ist nur für Story-Preise da; für alles "
        "andere frag bitte unser Team bei {venue}.",
    },
    "es": {
        "language_question": "¡Hola desde {venue}! ¿En qué idioma prefieres?",
        "language_unclear": "Perdona, ¿en qué idioma prefieres? Toca uno abajo.",
        "table_question": "¿En qué mesa estás? Responde con el número que aparece en el cartel de la mesa.",
        "table_invalid": "Responde solo con el número de mesa del cartel (nuestras mesas: {tables}).",
        "table_claimed": "¡Gracias por compartir {venue}! Tu mesa ya tiene el premio de hoy. ¡Disfruta!",
        "prize_awarded": "¡Gracias por compartir {venue} en tu historia! 🎉 Tu premio: {prize}. "
        "Muestra este código a nuestro equipo: {code} (válido hasta el {valid_until}).",
        "repeat_mention": "¡Gracias por compartir {venue} otra vez! Hay un premio por día, ¡hasta mañana!",
        "all_prizes_given": "¡Gracias por compartir {venue}! Ya se han entregado todos los premios de hoy, "
        "vuelve mañana.",
        "coupon_valid_until": "Válido hasta el {valid_until}",
        "coupon_show_staff": "Muestra este cupón a nuestro equipo",
        "bot_disclosure": "(Este es el asistente automático de {venue}.)",
        "promotion_terms": "Bases de la promoción: {terms_url}",
        "review_question": "¿Qué tal tu visita a {venue}? ¿Te gustaría dejarnos una reseña en Google?",
        "answer_yes": "Sí",
        "answer_no": "No",
        "review_link": "¡Gracias! Aquí tienes el enlace para escribir tu reseña de {venue}: {link}",
        "review_links": "¡Gracias! Elige dónde quieres reseñar {venue}:",
        "review_declined": "¡No pasa nada, gracias por visitar {venue}!",
        "contact_question": "¿Quieres recibir las ofertas de {venue} por {channels}? {consent}",
        "channel_email": "Email",
        "channel_phone": "Teléfono",
        "channel_both": "Ambos",
        "channel_none": "No, gracias",
        "ask_email": "¡Genial! ¿Cuál es tu correo electrónico?",
        "ask_phone": "¿Cuál es tu número de teléfono, con el prefijo del país (p. ej. +34 912 345 678)?",
        "invalid_email": "Eso no parece un correo electrónico. ¿Puedes revisarlo y enviarlo de nuevo?",
        "invalid_phone": "Eso no parece un número de teléfono. ¿Puedes enviarlo con el prefijo del país?",
        "contact_skipped": "No pasa nada, nos lo saltamos.",
        "contact_thanks": "¡Gracias! Puedes responder BAJA cuando quieras para dejar de recibir mensajes de {venue}.",
        "opted_out": "Hecho: {venue} no te escribirá más, salvo para responder a una historia en la que nos "
        "menciones. Responde EMPEZAR para deshacerlo.",
        "opted_in": "Hecho: {venue} puede volver a escribirte aquí. Responde BAJA cuando quieras para dejar de "
        "recibir mensajes.",
        "fallback": "¡Gracias por tu mensaje! Para conseguir un premio, publica una historia que mencione a "
        "@{instagram_username}: tu premio llegará aquí. Este chat solo gestiona los premios por historias; para "
        "cualquier otra cosa, pregunta a nuestro equipo en {venue}.",
        "fallback_after_prize": "¡Gracias por tu mensaje! Este chat solo gestiona los premios por historias; para "
        "cualquier otra cosa, pregunta a nuestro equipo en {venue}.",
    },
    "fr": {
        "language_question": "Bonjour de la part de {venue} ! Quelle langue préférez-vous ?",
        "language_unclear": "Pardon, quelle langue préférez-vous ? Touchez-en une ci-dessous.",
        "table_question": "À quelle table êtes-vous ? Répondez avec le numéro inscrit sur le chevalet.",
        "table_invalid": "Répondez uniquement avec le numéro de table du chevalet (nos tables : {tables}).",
        "table_claimed": "Merci d'avoir partagé {venue} ! Votre table a déjà son cadeau du jour. Bonne visite !",
        "prize_awarded": "Merci d'avoir partagé {venue} dans votre story ! 🎉 Votre cadeau : {prize}. "
        "Montrez ce code à notre équipe : {code} (valable jusqu'au {valid_until}).",
        "repeat_mention": "Merci d'avoir de nouveau partagé {venue} ! C'est un cadeau par jour, à demain !",
        "all_prizes_given": "Merci d'avoir partagé {venue} ! Tous les cadeaux du jour ont été distribués, "
        "revenez demain.",
        "coupon_valid_until": "Valable jusqu'au {valid_until}",
        "coupon_show_staff": "Montrez ce coupon à notre équipe",
        "bot_disclosure": "(Ceci est l'assistant automatique de {venue}.)",
        "promotion_terms": "Conditions de l'offre : {terms_url}",
        "review_question": "Comment s'est passée votre visite chez {venue} ? "
        "Souhaitez-vous nous laisser un avis sur Google ?",
        "answer_yes": "Oui",
        "answer_no": "Non",
        "review_link": "Merci ! Voici le lien pour écrire votre avis sur {venue} : {link}",
        "review_links": "Merci ! Choisissez où donner votre avis sur {venue} :",
        "review_declined": "Pas de souci, merci de votre visite chez {venue} !",
        "contact_question": "Souhaitez-vous recevoir les offres de {venue} par {channels} ? {consent}",
        "channel_email": "E-mail",
        "channel_phone": "Téléphone",
        "channel_both": "Les deux",
        "channel_none": "Non merci",
        "ask_email": "Parfait ! Quelle est votre adresse e-mail ?",
        "ask_phone": "Quel est votre numéro de téléphone, avec l'indicatif du pays (ex. +33 1 23 45 67 89) ?",
        "invalid_email": "Cela ne ressemble pas à une adresse e-mail. Pouvez-vous la vérifier et la renvoyer ?",
        "invalid_phone": "Cela ne ressemble pas à un numéro de téléphone. Pouvez-vous l'envoyer avec l'indicatif ?",
        "contact_skipped": "Pas de souci, on passe.",
        "contact_thanks": "Merci ! Vous pouvez répondre STOP à tout moment pour ne plus recevoir "
        "de messages de {venue}.",
        "opted_out": "C'est fait : {venue} ne vous écrira plus, sauf pour répondre à une story où vous nous "
        "mentionnez. Répondez COMMENCER pour annuler.",
        "opted_in": "C'est fait : {venue} peut de nouveau vous écrire ici. Répondez STOP à tout moment pour arrêter.",
        "fallback": "Merci pour votre message ! Pour recevoir un cadeau, publiez une story qui mentionne "
        "@{instagram_username} : votre cadeau arrivera ici. Ce chat ne gère que les cadeaux des stories ; pour "
        "toute autre demande, adressez-vous à notre équipe chez {venue}.",
        "fallback_after_prize": "Merci pour votre message ! Ce chat ne gère que les cadeaux des stories ; pour toute "
        "autre demande, adressez-vous à notre équipe chez {venue}.",
    },
    "it": {
        "language_question": "Ciao da {venue}! In che lingua preferisci?",
        "language_unclear": "Scusa, in che lingua preferisci? Toccane una qui sotto.",
        "table_question": "A che tavolo sei? Rispondi con il numero indicato sul cartellino del tavolo.",
        "table_invalid": "Rispondi solo con il numero del tavolo indicato sul cartellino (i nostri tavoli: {tables}).",
        "table_claimed": "Grazie per aver condiviso {venue}! Il tuo tavolo ha già il premio di oggi. Buona visita!",
        "prize_awarded": "Grazie per aver condiviso {venue} nella tua storia! 🎉 Il tuo premio: {prize}. "
        "Mostra questo codice al nostro staff: {code} (valido fino al {valid_until}).",
        "repeat_mention": "Grazie per aver condiviso di nuovo {venue}! C'è un premio al giorno, a domani!",
        "all_prizes_given": "Grazie per aver condiviso {venue}! I premi di oggi sono finiti, torna domani.",
        "coupon_valid_until": "Valido fino al {valid_until}",
        "coupon_show_staff": "Mostra questo coupon al nostro staff",
        "bot_disclosure": "(Questo è l'assistente automatico di {venue}.)",
        "promotion_terms": "Regolamento della promozione: {terms_url}",
        "review_question": "Com'è andata la tua visita da {venue}? Ti va di lasciarci una recensione su Google?",
        "answer_yes": "Sì",
        "answer_no": "No",
        "review_link": "Grazie! Ecco il link per scrivere la tua recensione di {venue}: {link}",
        "review_links": "Grazie! Scegli dove recensire {venue}:",
        "review_declined": "Nessun problema, grazie per essere passato da {venue}!",
        "contact_question": "Vuoi ricevere le offerte di {venue} via {channels}? {consent}",
        "channel_email": "Email",
        "channel_phone": "Telefono",
        "channel_both": "Entrambi",
        "channel_none": "No, grazie",
        "ask_email": "Perfetto! Qual è il tuo indirizzo email?",
        "ask_phone": "Qual è il tuo numero di telefono, con il prefisso internazionale (es. +39 06 1234 5678)?",
        "invalid_email": "Non sembra un indirizzo email. Puoi controllarlo e inviarlo di nuovo?",
        "invalid_phone": "Non sembra un numero di telefono. Puoi inviarlo con il prefisso internazionale?",
        "contact_skipped": "Nessun problema, saltiamo questo passaggio.",
        "contact_thanks": "Grazie! Puoi rispondere STOP in qualsiasi momento per non ricevere più messaggi da {venue}.",
        "opted_out": "Fatto: {venue} non ti scriverà più, tranne per rispondere a una storia in cui ci tagghi. "
        "Rispondi INIZIA per annullare.",
        "opted_in": "Fatto: {venue} può di nuovo scriverti qui. Rispondi STOP in qualsiasi momento per smettere.",
        "fallback": "Grazie per il messaggio! Per ricevere un premio, pubblica una storia che menzioni "
        "@{instagram_username}: il premio arriverà qui. Questa chat gestisce solo i premi delle storie; per "
        "qualsiasi altra cosa, chiedi al nostro staff da {venue}.",
        "fallback_after_prize": "Grazie per il messaggio! Questa chat gestisce solo i premi delle storie; per "
        "qualsiasi altra cosa, chiedi al nostro staff da {venue}.",
    },
    "pt": {
        "language_question": "Olá da parte do {venue}! Em que língua prefere?",
        "language_unclear": "Desculpe, em que língua prefere? Toque numa das opções abaixo.",
        "table_question": "Em que mesa está? Responda com o número que está no cartão da mesa.",
        "table_invalid": "Responda só com o número da mesa que está no cartão (as nossas mesas: {tables}).",
        "table_claimed": "Obrigado por partilhar o {venue}! A sua mesa já tem o prémio de hoje. Boa visita!",
        "prize_awarded": "Obrigado por partilhar o {venue} na sua story! 🎉 O seu prémio: {prize}. "
        "Mostre este código à nossa equipa: {code} (válido até {valid_until}).",
        "repeat_mention": "Obrigado por partilhar o {venue} outra vez! É um prémio por dia, até amanhã!",
        "all_prizes_given": "Obrigado por partilhar o {venue}! Os prémios de hoje já acabaram, volte amanhã.",
        "coupon_valid_until": "Válido até {valid_until}",
        "coupon_show_staff": "Mostre este cupão à nossa equipa",
        "bot_disclosure": "(Este é o assistente automático do {venue}.)",
        "promotion_terms": "Regulamento da promoção: {terms_url}",
        "review_question": "Como correu a sua visita ao {venue}? Gostaria de nos deixar uma avaliação no Google?",
        "answer_yes": "Sim",
        "answer_no": "Não",
        "review_link": "Obrigado! Aqui está o link para escrever a sua avaliação do {venue}: {link}",
        "review_links": "Obrigado! Escolha onde quer avaliar o {venue}:",
        "review_declined": "Sem problema, obrigado pela visita ao {venue}!",
        "contact_question": "Quer receber as ofertas do {venue} por {channels}? {consent}",
        "channel_email": "Email",
        "channel_phone": "Telefone",
        "channel_both": "Ambos",
        "channel_none": "Não, obrigado",
        "ask_email": "Ótimo! Qual é o seu email?",
        "ask_phone": "Qual é o seu número de telefone, com o indicativo do país (ex. +351 21 123 4567)?",
        "invalid_email": "Isso não parece um email. Pode verificar e enviar de novo?",
        "invalid_phone": "Isso não parece um número de telefone. Pode enviá-lo com o indicativo do país?",
        "contact_skipped": "Sem problema, vamos saltar esse passo.",
        "contact_thanks": "Obrigado! Pode responder PARAR a qualquer momento para deixar de receber "
        "mensagens do {venue}.",
        "opted_out": "Feito: o {venue} não lhe vai escrever mais, exceto para responder a uma story em que nos "
        "mencione. Responda COMEÇAR para anular.",
        "opted_in": "Feito: o {venue} pode voltar a escrever-lhe aqui. Responda PARAR a qualquer momento para "
        "deixar de receber mensagens.",
        "fallback": "Obrigado pela sua mensagem! Para receber um prémio, publique uma story que mencione "
        "@{instagram_username}: o prémio chega aqui. Este chat só trata dos prémios das stories; para qualquer "
        "outro assunto, fale com a nossa equipa no {venue}.",
        "fallback_after_prize": "Obrigado pela sua mensagem! Este chat só trata dos prémios das stories; para "
        "qualquer outro assunto, fale com a nossa equipa no {venue}.",
    },
}

MESSAGE_KEYS: Final[frozenset[str]] = frozenset(PLACEHOLDERS)
# Whole messages that stop a guest (STOP) or undo it (START), in every catalog language, as guests write them: the
# engine compares them case- and accent-insensitively, without punctuation and without a courtesy ("please",
# "bitte", …) before or after (conversation/stop.py). Never a word a guest says for anything else ("fine" is Italian
# for "end" but English for "ok"), nor a quick reply's title.
STOP_PHRASES: Final[dict[Language, frozenset[str]]] = {
    "en": frozenset(
        {
            "stop",
            "stop all",
            "stopall",
            "unsubscribe",
            "opt out",
            "optout",
            "cancel",
            "end",
            "quit",
            "stop messaging me",
            "stop messages",
            "stop the messages",
            "stop texting me",
            "stop writing to me",
            "stop contacting me",
            "stop sending me messages",
            "no more messages",
            "don't message me",
            "do not message me",
            "don't contact me",
            "do not contact me",
            "leave me alone",
            "remove me",
        }
    ),
    "de": frozenset(
        {
            "stopp",
            "stop",
            "abmelden",
            "abbestellen",
            "abmeldung",
            "austragen",
            "ende",
            "aufhören",
            "hör auf",
            "hört auf",
            "keine nachrichten",
            "keine nachrichten mehr",
            "schreib mir nicht mehr",
            "schreibt mir nicht mehr",
            "schreiben sie mir nicht mehr",
            "nicht mehr schreiben",
        }
    ),
    "es": frozenset(
        {
            "stop",
            "parar",
            "para",
            "pare",
            "alto",
            "basta",
            "baja",
            "darse de baja",
            "dar de baja",
            "dame de baja",
            "darme de baja",
            "cancelar",
            "cancelar suscripción",
            "desuscribir",
            "desuscribirme",
            "no más",
            "no más mensajes",
            "no me escribas más",
            "no me escriban más",
            "deja de escribirme",
            "deja de enviarme mensajes",
        }
    ),
    "fr": frozenset(
        {
            "stop",
            "arrêt",
            "arrêter",
            "arrête",
            "arrêtez",
            "fin",
            "annuler",
            "désabonner",
            "se désabonner",
            "me désabonner",
            "désabonnement",
            "désinscrire",
            "se désinscrire",
            "me désinscrire",
            "désinscription",
            "plus de messages",
            "ne m'écrivez plus",
            "ne m'écris plus",
            "arrêtez de m'écrire",
        }
    ),
    "it": frozenset(
        {
            "stop",
            "basta",
            "cancella",
            "cancellami",
            "annulla",
            "annulla iscrizione",
            "disiscrivi",
            "disiscrivimi",
            "basta messaggi",
            "niente più messaggi",
            "non scrivermi più",
            "non scrivetemi più",
            "smetti",
            "smettila",
            "smettetela",
            "fermati",
        }
    ),
    "pt": frozenset(
        {
            "stop",
            "parar",
            "pare",
            "para",
            "sair",
            "chega",
            "cancelar",
            "cancelar subscrição",
            "cancelar inscrição",
            "cancelar assinatura",
            "descadastrar",
            "remover",
            "sem mais mensagens",
            "não quero mais mensagens",
            "não quero receber mais mensagens",
            "não me enviem mais mensagens",
            "pare de me enviar mensagens",
            "deixe de me enviar mensagens",
        }
    ),
}
START_PHRASES: Final[dict[Language, frozenset[str]]] = {
    "en": frozenset({"start", "start again", "restart", "unstop", "resume", "subscribe", "resubscribe", "opt in"}),
    "de": frozenset({"start", "starten", "anmelden", "wieder anmelden", "fortsetzen"}),
    "es": frozenset({"start", "empezar", "comenzar", "iniciar", "reanudar", "alta", "darse de alta", "dar de alta"}),
    "fr": frozenset({"start", "commencer", "démarrer", "reprendre", "s'abonner", "m'abonner", "me réabonner"}),
    "it": frozenset({"start", "inizia", "iniziare", "ricomincia", "riprendi", "avvia", "iscrivimi"}),
    "pt": frozenset({"start", "começar", "iniciar", "retomar", "reativar", "subscrever"}),
}
# Said before or after a STOP or START, they change nothing ("please stop", "Stopp bitte", "basta, grazie").
COURTESIES: Final[dict[Language, frozenset[str]]] = {
    "en": frozenset({"please", "pls", "plz", "thanks", "thank you"}),
    "de": frozenset({"bitte", "danke"}),
    "es": frozenset({"por favor", "gracias"}),
    "fr": frozenset({"s'il vous plaît", "s'il te plaît", "svp", "merci"}),
    "it": frozenset({"per favore", "per piacere", "grazie"}),
    "pt": frozenset({"por favor", "obrigado", "obrigada"}),
}
