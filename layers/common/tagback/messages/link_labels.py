"""The words of the hand-off page a guest sees when they open a review link in Instagram's or Facebook's in-app
browser, in every built-in language. The page speaks the language the guest chose in the chat (kept on the link),
else the venue's default language, else English: the edge has no client's catalog, only these built-in words.
`{…}` are filled in by the page: `{app}` the app it hands over to, `{source}` Instagram or Facebook,
`{target}` the review platform (its name, else its web address's host), `{button}` the first button's words."""

from __future__ import annotations

from typing import Final

from tagback.messages.staff_labels import EDGE_PAGE_LANGUAGES, by_language

_TEXTS: Final[dict[str, tuple[str, str, str, str, str, str]]] = {  # in the order of EDGE_PAGE_LANGUAGES
    "review": (  # the heading: {target} is the review platform (Google, Tripadvisor, Facebook)
        "Leave your {target} review",
        "Schreib deine {target}-Bewertung",
        "Deja tu reseña en {target}",
        "Laissez votre avis sur {target}",
        "Lascia la tua recensione su {target}",
        "Deixe a sua avaliação no {target}",
    ),
    "review_elsewhere": (  # the heading for a review platform the page has no name for
        "Leave your review",
        "Schreib deine Bewertung",
        "Deja tu reseña",
        "Laissez votre avis",
        "Lascia la tua recensione",
        "Deixe a sua avaliação",
    ),
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
        "In {source}'s browser you are not signed in to {target}. In {app} or your own browser, the review is quicker.",
        "Im Browser von {source} bist du nicht bei {target} angemeldet. In {app} oder deinem Browser geht es "
        "schneller.",
        "En el navegador de {source} no has iniciado sesión en {target}. En {app} o tu navegador, la reseña es más "
        "rápida.",
        "Dans le navigateur intégré à {source}, vous n'êtes pas connecté à {target}. Dans {app} ou votre navigateur, "
        "l'avis ira plus vite.",
        "Nel browser di {source} non hai effettuato l'accesso a {target}. In {app} o nel tuo browser fai prima.",
        "No navegador do {source} não tem sessão iniciada no {target}. No {app} ou no seu navegador é mais rápido.",
    ),
    "why_browser": (
        "In {source}'s browser you are not signed in to {target}. In your own browser, the review is quicker.",
        "Im Browser von {source} bist du nicht bei {target} angemeldet. In deinem Browser geht es schneller.",
        "En el navegador de {source} no has iniciado sesión en {target}. En tu navegador, la reseña es más rápida.",
        "Dans le navigateur intégré à {source}, vous n'êtes pas connecté à {target}. Dans votre navigateur, l'avis "
        "ira plus vite.",
        "Nel browser di {source} non hai effettuato l'accesso a {target}. Nel tuo browser fai prima.",
        "No navegador do {source} não tem sessão iniciada no {target}. No seu navegador é mais rápido.",
    ),
    "hint": (  # {button}: the first button's own words
        "Nothing happened? Tap “{button}”.",
        "Nichts passiert? Tippe auf „{button}“.",
        "¿No pasa nada? Toca «{button}».",
        "Rien ne se passe\u00a0? Touchez «\u00a0{button}\u00a0».",  # no-break spaces: French punctuation
        "Non succede nulla? Tocca «{button}».",
        "Nada aconteceu? Toque em «{button}».",
    ),
    "open_in": (
        "Open in {app}",
        "In {app} öffnen",
        "Abrir en {app}",
        "Ouvrir dans {app}",
        "Apri in {app}",
        "Abrir em {app}",
    ),
    "open_browser": (  # the phone's default browser, told apart from "Open in Safari" beside it on iOS
        "Open in default browser",
        "Im Standardbrowser öffnen",
        "Abrir en el navegador predeterminado",
        "Ouvrir dans le navigateur par défaut",
        "Apri nel browser predefinito",
        "Abrir no navegador predefinido",
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
