"""The words of the hand-off page a guest sees when they open a review link in Instagram's or Facebook's in-app
browser, in every built-in language. The page speaks the language the guest chose in the chat (kept on the link),
else the venue's default language, else English: the edge has no client's catalog, only these built-in words.
`{…}` are filled in by the page: `{app}` the app it hands over to, `{source}` Instagram or Facebook."""

from __future__ import annotations

from typing import Final

from tagback.messages.staff_labels import EDGE_PAGE_LANGUAGES, by_language

_TEXTS: Final[dict[str, tuple[str, str, str, str, str, str]]] = {  # in the order of EDGE_PAGE_LANGUAGES
    "opening": (
        "Opening {app}…",
        "{app} wird geöffnet …",
        "Abriendo {app}…",
        "Ouverture de {app}…",
        "Apertura di {app}…",
        "A abrir {app}…",
    ),
    "opening_browser": (
        "Opening your browser…",
        "Dein Browser wird geöffnet …",
        "Abriendo tu navegador…",
        "Ouverture de votre navigateur…",
        "Apertura del browser…",
        "A abrir o seu navegador…",
    ),
    "why": (
        "{source}'s browser does not know your account: your review is quicker in the app or your usual browser.",
        "Der Browser von {source} kennt dein Konto nicht: In der App oder deinem Browser geht die Bewertung schneller.",
        "El navegador de {source} no conoce tu cuenta: tu reseña es más rápida en la app o en tu navegador.",
        "Le navigateur de {source} ne connaît pas votre compte : l'avis ira plus vite dans l'app ou votre navigateur.",
        "Il browser di {source} non conosce il tuo account: la recensione è più rapida nell'app o nel tuo browser.",
        "O navegador do {source} não conhece a sua conta: a avaliação é mais rápida na app ou no seu navegador.",
    ),
    "why_browser": (
        "{source}'s browser does not know your account: your review is quicker in your usual browser.",
        "Der Browser von {source} kennt dein Konto nicht: In deinem Browser geht die Bewertung schneller.",
        "El navegador de {source} no conoce tu cuenta: tu reseña es más rápida en tu navegador.",
        "Le navigateur de {source} ne connaît pas votre compte : l'avis ira plus vite dans votre navigateur.",
        "Il browser di {source} non conosce il tuo account: la recensione è più rapida nel tuo browser.",
        "O navegador do {source} não conhece a sua conta: a avaliação é mais rápida no seu navegador.",
    ),
    "hint": (
        "Nothing happened? Tap the button.",
        "Nichts passiert? Tippe auf den Knopf.",
        "¿No pasa nada? Toca el botón.",
        "Rien ne se passe ? Touchez le bouton.",
        "Non succede nulla? Tocca il pulsante.",
        "Nada aconteceu? Toque no botão.",
    ),
    "open_in": (
        "Open in {app}",
        "In {app} öffnen",
        "Abrir en {app}",
        "Ouvrir dans {app}",
        "Apri in {app}",
        "Abrir em {app}",
    ),
    "open_browser": (
        "Open in browser",
        "Im Browser öffnen",
        "Abrir en el navegador",
        "Ouvrir dans le navigateur",
        "Apri nel browser",
        "Abrir no navegador",
    ),
    "stay": (
        "Continue here instead",
        "Stattdessen hier weiter",
        "Seguir aquí",
        "Continuer ici",
        "Continua qui",
        "Continuar aqui",
    ),
}

LINK_LABELS: Final = by_language(_TEXTS)


def page_language(*candidates: str | None) -> str:
    """The first of the candidates the page has words for (the guest's language, then the venue's), else English."""
    return next((language for language in candidates if language in EDGE_PAGE_LANGUAGES), "en")


def link_label(key: str, language: str, **values: str) -> str:
    text = LINK_LABELS[key][language]
    return text.format(**values) if values else text
