"""The interface's own words in English and French (data labels come from the graph), the
reader's language (``?lang=``, then the ``lang`` cookie the switch sets, then Accept-Language),
and the switch's links. Templates call ``_("key")``."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import request

LANGUAGES = {"en": "English", "fr": "Français"}
COOKIE = "lang"
READ_KEY = "icc.language"  # where a request keeps the language once read (language())

STRINGS: dict[str, dict[str, str]] = {
    "site": {"en": "ICC good practices", "fr": "Bonnes pratiques ICC"},
    "tagline": {"en": "Intercultural Cities, as linked data",
                "fr": "Cités interculturelles, en données liées"},
    "skip": {"en": "Skip to content", "fr": "Aller au contenu"},
    "search": {"en": "Search", "fr": "Rechercher"},
    "search_label": {"en": "Search the dataset", "fr": "Rechercher dans les données"},
    "language": {"en": "Language", "fr": "Langue"},
    "nav": {"en": "Site", "fr": "Site"},
    "home": {"en": "Home", "fr": "Accueil"},
    "practices": {"en": "Practices", "fr": "Pratiques"},
    "collaborations": {"en": "Collaborations", "fr": "Collaborations"},
    "query": {"en": "Query", "fr": "Requête"},
    "dumps": {"en": "Dumps", "fr": "Fichiers"},
    "vocabulary": {"en": "Vocabulary", "fr": "Vocabulaire"},
    "dataset": {"en": "Dataset description", "fr": "Description du jeu de données"},
    "licence": {"en": "Licence", "fr": "Licence"},
    "licence_text": {
        "en": "The data is published under the Creative Commons Attribution 4.0 licence "
              "(CC BY 4.0); the practices are described from the Council of Europe's "
              "Intercultural Cities pages.",
        "fr": "Les données sont publiées sous licence Creative Commons Attribution 4.0 "
              "(CC BY 4.0) ; les pratiques sont décrites d'après les pages des Cités "
              "interculturelles du Conseil de l'Europe."},
    "cite": {"en": "How to cite", "fr": "Comment citer"},
    "home_title": {"en": "Intercultural Cities good practices",
                   "fr": "Bonnes pratiques des Cités interculturelles"},
    "home_intro": {
        "en": "What cities of the Council of Europe's Intercultural Cities programme did to make "
              "diversity an advantage, with whom, and funded by whom: linked data anyone can "
              "browse, query, link and download.",
        "fr": "Ce que les villes du programme des Cités interculturelles du Conseil de l'Europe "
              "ont fait pour faire de la diversité un atout, avec qui et avec quels "
              "financements : des données liées que chacun peut parcourir, interroger, lier et "
              "télécharger."},
    "release": {"en": "Release", "fr": "Version"},
    "good_practices": {"en": "good practices", "fr": "bonnes pratiques"},
    "cities": {"en": "cities", "fr": "villes"},
    "countries": {"en": "countries", "fr": "pays"},
    "organisations": {"en": "organisations", "fr": "organisations"},
    "projects": {"en": "projects", "fr": "projets"},
    "browse": {"en": "Browse the practices", "fr": "Parcourir les pratiques"},
    "where": {"en": "Where", "fr": "Où"},
    "when": {"en": "When", "fr": "Quand"},
    "what": {"en": "On what", "fr": "Sur quoi"},
    "map_title": {"en": "Cities with practices", "fr": "Villes ayant des pratiques"},
    "map_note": {"en": "Circle area shows the number of practices; each circle leads to the "
                       "city.",
                 "fr": "L'aire du cercle indique le nombre de pratiques ; chaque cercle mène à "
                       "la ville."},
    "no_coordinates": {"en": "No coordinates recorded for", "fr": "Coordonnées non "
                                                                  "enregistrées pour"},
    "per_year": {"en": "Practices per year", "fr": "Pratiques par année"},
    "per_year_note": {"en": "A practice counts for each year of its period.",
                      "fr": "Une pratique compte pour chaque année de sa période."},
    "per_topic": {"en": "Practices per topic", "fr": "Pratiques par thème"},
    "per_country": {"en": "Practices per country", "fr": "Pratiques par pays"},
    "not_recorded": {"en": "not recorded", "fr": "non renseigné"},
    "as_table": {"en": "The same as a table", "fr": "Les mêmes données en tableau"},
    "count": {"en": "practices", "fr": "pratiques"},
    "city": {"en": "City", "fr": "Ville"},
    "country": {"en": "Country", "fr": "Pays"},
    "value": {"en": "Value", "fr": "Valeur"},
    "search_titles": {"en": "Search titles", "fr": "Chercher dans les titres"},
    "sort": {"en": "Sort", "fr": "Trier"},
    "sort_title": {"en": "title", "fr": "titre"},
    "sort_old": {"en": "oldest first", "fr": "les plus anciennes"},
    "sort_new": {"en": "newest first", "fr": "les plus récentes"},
    "apply": {"en": "Apply", "fr": "Appliquer"},
    "reset": {"en": "Reset", "fr": "Réinitialiser"},
    "filters": {"en": "Filters", "fr": "Filtres"},
    "selected": {"en": "Selected filters", "fr": "Filtres choisis"},
    "remove": {"en": "remove", "fr": "retirer"},
    "n_practices": {"en": "practices", "fr": "pratiques"},
    "page_of": {"en": "page {page} of {pages}", "fr": "page {page} sur {pages}"},
    "facet_all": {"en": "All {n} values", "fr": "Les {n} valeurs"},
    "facet_first": {"en": "Only the first {n}", "fr": "Seulement les {n} premières"},
    "download": {"en": "Download", "fr": "Télécharger"},
    "previous": {"en": "previous", "fr": "précédente"},
    "next": {"en": "next", "fr": "suivante"},
    "overview": {"en": "Where and when, for these filters",
                 "fr": "Où et quand, pour ces filtres"},
    "period": {"en": "Period, as on the source page", "fr": "Période, telle que sur la page "
                                                            "source"},
    "source": {"en": "Source page", "fr": "Page source"},
    "also_as": {"en": "Also as", "fr": "Aussi en"},
    "open_query": {"en": "open in the query page", "fr": "ouvrir dans la page de requête"},
    "properties": {"en": "Properties", "fr": "Propriétés"},
    "property": {"en": "property", "fr": "propriété"},
    "pointing_here": {"en": "Pointing here", "fr": "Liens vers cette page"},
    "thing": {"en": "thing", "fr": "chose"},
    "location": {"en": "Location", "fr": "Localisation"},
    "collab_title": {"en": "City collaborations", "fr": "Collaborations entre villes"},
    "collab_intro": {
        "en": "Cities linked by the practices and projects they share. Line width shows how "
              "much two cities share; choose a line to see what.",
        "fr": "Les villes reliées par les pratiques et projets qu'elles partagent. L'épaisseur "
              "du trait indique combien elles partagent ; choisissez un trait pour voir quoi."},
    "topic": {"en": "Topic", "fr": "Thème"},
    "any": {"en": "any", "fr": "tous"},
    "show": {"en": "Show", "fr": "Afficher"},
    "network": {"en": "Network", "fr": "Réseau"},
    "collab_most": {"en": "the {n} most connected of {of} cities, {links} links",
                    "fr": "les {n} villes les plus reliées sur {of}, {links} liens"},
    "collab_left_out": {
        "en": "The picture shows the {n} cities with the most partners, of {of}: every link is "
              "listed below, and the map draws them all:",
        "fr": "L'image montre les {n} villes ayant le plus de partenaires, sur {of} : chaque "
              "lien est listé ci-dessous, et la carte les dessine tous :"},
    "map": {"en": "Map", "fr": "Carte"},
    "links": {"en": "links", "fr": "liens"},
    "shared": {"en": "shared", "fr": "en commun"},
    "legend": {"en": "Colour shows the country", "fr": "La couleur indique le pays"},
    "other": {"en": "other", "fr": "autre"},
    "query_title": {"en": "SPARQL query", "fr": "Requête SPARQL"},
    "run": {"en": "Run", "fr": "Exécuter"},
    "query_note": {"en": "The default graph is the union of all named graphs; the endpoint is "
                         "read-only.",
                   "fr": "Le graphe par défaut est l'union de tous les graphes nommés ; le "
                         "point d'accès est en lecture seule."},
    "share": {"en": "Share this view", "fr": "Partager cette vue"},
    "answer": {"en": "Answer", "fr": "Réponse"},
    "yes": {"en": "yes", "fr": "oui"},
    "no": {"en": "no", "fr": "non"},
    "rows": {"en": "rows", "fr": "lignes"},
    "cut": {"en": "cut at the row limit", "fr": "coupé à la limite de lignes"},
    "too_long_to_link": {"en": "This query is too long to share as a link: keep its text to "
                                "run it again.",
                         "fr": "Cette requête est trop longue pour un lien : gardez son texte "
                               "pour la relancer."},
    "table_cut": {"en": "the table shows the first {shown}; the downloads hold every row",
                  "fr": "le tableau montre les {shown} premières ; les téléchargements ont "
                        "toutes les lignes"},
    "view": {"en": "View", "fr": "Vue"},
    "examples": {"en": "Examples", "fr": "Exemples"},
    "classes": {"en": "Classes", "fr": "Classes"},
    "vocab_title": {"en": "The ICC vocabulary", "fr": "Le vocabulaire ICC"},
    "aligned": {"en": "Aligned with", "fr": "Aligné avec"},
    "domain": {"en": "Domain", "fr": "Domaine"},
    "range": {"en": "Range", "fr": "Portée"},
    "subclass": {"en": "Subclass of", "fr": "Sous-classe de"},
    "error": {"en": "Error", "fr": "Erreur"},
    # headings of entity pages and facet names, keyed by their English words
    "Cities involved": {"en": "Cities involved", "fr": "Villes concernées"},
    "Cities it collaborates with": {"en": "Cities it collaborates with",
                                    "fr": "Villes avec lesquelles elle collabore"},
    "Cities": {"en": "Cities", "fr": "Villes"},
    "Funding programme": {"en": "Funding programme", "fr": "Programme de financement"},
    "Grant": {"en": "Grant", "fr": "Subvention"},
    "Grants": {"en": "Grants", "fr": "Subventions"},
    "Partner organisations": {"en": "Partner organisations", "fr": "Organisations partenaires"},
    "Practices": {"en": "Practices", "fr": "Pratiques"},
    "Projects": {"en": "Projects", "fr": "Projets"},
    "Who took part": {"en": "Who took part", "fr": "Participants"},
    "Topic": {"en": "Topic", "fr": "Thème"},
    "Country": {"en": "Country", "fr": "Pays"},
    "Year": {"en": "Year", "fr": "Année"},
    "City": {"en": "City", "fr": "Ville"},
    "Organisation": {"en": "Organisation", "fr": "Organisation"},
    "Project": {"en": "Project", "fr": "Projet"},
}


def language() -> str:
    """The reader's language: ?lang=, else the switch's cookie, else Accept-Language (read once
    per request; each Accept-Language header read once per process, up to a bound)."""
    environ = request.environ
    found: str | None = environ.get(READ_KEY)
    if found is not None:
        return found
    for value in (request.args.get("lang") if environ.get("QUERY_STRING") else None,
                  request.cookies.get(COOKIE) if environ.get("HTTP_COOKIE") else None):
        if value in LANGUAGES:
            found = value
            break
    else:
        header = environ.get("HTTP_ACCEPT_LANGUAGE", "")
        found = _BY_ACCEPT.get(header)
        if found is None:
            found = request.accept_languages.best_match(list(LANGUAGES)) or "en"
            if len(_BY_ACCEPT) < _BY_ACCEPT_MAX:
                _BY_ACCEPT[header] = found
    environ[READ_KEY] = found
    return found


_BY_ACCEPT: dict[str, str] = {}
_BY_ACCEPT_MAX = 512


def translate(key: str, lang: str) -> str:
    """The interface string ``key`` in ``lang`` (English when there is no translation)."""
    words = STRINGS.get(key)
    if words is None:
        return key
    return words.get(lang) or words["en"]


def switch_url(lang: str) -> str:
    """This page in another interface language."""
    params = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return request.path + "?" + urlencode([*params, ("lang", lang)])
