"""Word lists and sentence templates for the generated articles, in German and English.

Sentences are built from frames (see ``content.Writer``) whose slots are filled from these lists, so
articles differ from each other instead of repeating one paragraph pool. Placeholders understood by the
writer: {city} {city2} {river} {capital} {company} {person} {mname} {fname} {n} {big} {rate} {year}
{month} {weekday}.

German frames need clauses in two word orders: ``that`` clauses are verb-final ("dass ... bleibt"),
``clauses`` are verb-first so they can follow a fronted time phrase ("Am Montag | stimmten ...").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Register:
    """Generic phrases for one style of writing (news report or blog post)."""

    say_verbs: tuple[str, ...]
    times: tuple[str, ...]  # fronted adverbials, followed by a clause
    sources: tuple[str, ...]  # "Wie ... mitteilte" / "According to ...", followed by a comma and a clause
    facts: tuple[str, ...]
    headings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Topic:
    key: str
    language: str
    register: str  # "news" or "blog"
    category: str
    tags: tuple[str, ...]
    titles: tuple[str, ...]
    headings: tuple[str, ...]
    subjects: tuple[str, ...]  # nominative singular, start a sentence
    speakers: tuple[str, ...]  # follow "sagte" / "said"
    facts: tuple[str, ...]
    that: tuple[str, ...]
    clauses: tuple[str, ...]
    quotes: tuple[str, ...]
    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Language:
    code: str
    registers: dict[str, Register]
    list_intros: tuple[str, ...]
    cities: tuple[str, ...]
    rivers: tuple[str, ...]
    capitals: tuple[str, ...]
    companies: tuple[str, ...]
    male_first: tuple[str, ...]
    female_first: tuple[str, ...]
    last_names: tuple[str, ...]
    months: tuple[str, ...]
    weekdays: tuple[str, ...]
    image_credits: tuple[str, ...]
    image_alts: tuple[str, ...]
    thousands_sep: str
    decimal_sep: str


GERMAN = Language(
    code="de",
    registers={
        "news": Register(
            say_verbs=("betonte", "erklärte", "sagte", "bestätigte", "räumte ein", "versicherte", "kritisierte"),
            times=(
                "Am Montag", "Am Dienstagabend", "Bereits in der vergangenen Woche", "Im kommenden Frühjahr",
                "Nach Einschätzung von Fachleuten", "Seit Jahresbeginn", "Am späten Nachmittag",
                "Noch in diesem Jahr", "Nach Angaben der Verwaltung", "Am {weekday}",
            ),
            sources=(
                "Wie die Stadtverwaltung mitteilte", "Wie ein Sprecher der Polizei bestätigte",
                "Wie aus einer Mitteilung des Ministeriums hervorgeht", "Wie der Gemeinderat am {weekday} beschloss",
                "Wie aus Kreisen der Fraktion verlautete", "Wie das Landratsamt auf Anfrage erklärte",
            ),
            facts=(
                "Die Sitzung dauerte bis kurz vor Mitternacht.",
                "Eine endgültige Entscheidung steht noch aus.",
                "Die Gespräche sollen in der kommenden Woche fortgesetzt werden.",
                "Kritiker halten die Pläne für überstürzt.",
                "Viele Bürgerinnen und Bürger verfolgten die Debatte im Rathaus.",
                "Über die genauen Kosten herrscht weiterhin Unklarheit.",
                "Der Vorschlag stößt auf ein geteiltes Echo.",
                "Ob der Zeitplan eingehalten werden kann, ist offen.",
                "Die Verwaltung will die Öffentlichkeit regelmäßig über den Stand informieren.",
                "Bis dahin gilt die bisherige Regelung weiter.",
                "Die Beteiligten äußerten sich zunächst nicht zu Einzelheiten.",
                "Gegen die Entscheidung ist ein Widerspruch möglich.",
            ),
            headings=(
                "Wie geht es weiter?", "Reaktionen aus der Politik", "Hintergrund", "Kritik an den Plänen",
                "Was Betroffene jetzt wissen müssen", "Die wichtigsten Fragen und Antworten", "Offene Fragen",
            ),
        ),
        "blog": Register(
            say_verbs=("erklärte", "schreibt", "meint", "betont", "stellte fest"),
            times=("In der vergangenen Woche", "Seit einigen Monaten", "Am Ende", "Zunächst", "Seitdem", "Im {month}"),
            sources=("Wie sich herausstellte", "Wie wir erwartet hatten", "Wie unsere Messungen zeigen",
                     "Wie Leserinnen und Leser berichten"),
            facts=(
                "Das hat länger gedauert als gedacht.",
                "Am Anfang war davon noch wenig zu sehen.",
                "Im Nachhinein waren die Warnzeichen deutlich.",
                "Es bleibt noch einiges zu tun.",
                "Einige Ergebnisse haben uns überrascht.",
                "Wer mitmachen möchte, ist herzlich eingeladen.",
                "Die Einrichtung ist in wenigen Minuten erledigt.",
                "Über Rückmeldungen in den Kommentaren freuen wir uns.",
            ),
            headings=("Hintergrund", "Was wir gelernt haben", "Nächste Schritte", "Ein paar Einschränkungen", "Fazit"),
        ),
    },
    list_intros=(
        "Die wichtigsten Punkte im Überblick:",
        "Geplant sind unter anderem folgende Maßnahmen:",
        "Das ändert sich konkret:",
        "Folgendes sollten Sie jetzt beachten:",
    ),
    cities=(
        "Talbach", "Grünwald", "Mühlhausen", "Bad Oberhöfen", "Weißenfels", "Königsbrück", "Schönau",
        "Fürstenfeld", "Lübbenau", "Großröhrsdorf", "Straßberg", "Überlingen",
    ),
    rivers=("Mulde", "Weißen Elster", "Saale", "Lahn", "Fulda", "Würm"),
    capitals=("Brüssel", "Warschau", "Paris", "Wien", "Prag", "Kopenhagen"),
    companies=(
        "Müller Bau GmbH", "Südwerk AG", "Nordlicht Energie GmbH", "Brückner & Söhne KG", "Hüttenwerke Lahn AG",
        "Görlitzer Gießerei GmbH",
    ),
    male_first=("Jürgen", "Sören", "Björn", "Matthias", "Günter", "Jörg", "Lukas", "Andreas"),
    female_first=("Jana", "Hannelore", "Sabine", "Anja", "Bärbel", "Miriam", "Käthe", "Lena"),
    last_names=(
        "Müller", "Schröder", "Weiß", "Köhler", "Bäcker", "Günther", "Hoffmann", "Groß", "Krüger", "Schäfer",
        "Böhm", "Schulze",
    ),
    months=(
        "Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
        "November", "Dezember",
    ),
    weekdays=("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"),
    image_credits=(
        "jorono (CC0), Pixabay", "Foto: Redaktion", "Bild: Pixabay", "Foto: Stadtverwaltung", "Symbolbild: Unsplash",
    ),
    image_alts=("Symbolbild", "", "Blick auf das Rathaus", "Einsatzkräfte vor Ort", "Archivbild"),
    thousands_sep=".",
    decimal_sep=",",
)

ENGLISH = Language(
    code="en",
    registers={
        "news": Register(
            say_verbs=("said", "stressed", "confirmed", "warned", "argued", "acknowledged", "insisted"),
            times=(
                "On Monday", "Late on Tuesday", "Earlier this month", "By the end of {month}", "Last week",
                "Next spring", "Since January", "On {weekday}",
            ),
            sources=(
                "According to the county", "According to figures published on {weekday}",
                "According to a statement from the council", "As the local paper first reported",
                "According to people familiar with the talks",
            ),
            facts=(
                "A final decision is not expected before the summer.",
                "The meeting ran until shortly before midnight.",
                "Critics say the plans were rushed.",
                "Dozens of residents attended the hearing in person.",
                "The exact cost remains unclear.",
                "Talks are set to resume next week.",
                "Officials declined to comment on the details.",
                "It is not yet clear whether the timetable can be met.",
                "The proposal has drawn a mixed response.",
                "Until then, the current rules remain in force.",
            ),
            headings=(
                "What happens next", "Reactions", "Background", "Criticism of the plans",
                "What residents need to know", "Key questions answered", "Open questions",
            ),
        ),
        "blog": Register(
            say_verbs=("noted", "pointed out", "explained", "found", "wrote"),
            times=("Last week", "Over the past few months", "In the end", "At first", "Since then", "In {month}"),
            sources=("As it turned out", "In hindsight", "According to our measurements", "As far as we can tell"),
            facts=(
                "It took longer than we expected.",
                "None of this was obvious at the start.",
                "We wrote down everything we learned along the way.",
                "Looking back, the warning signs were there.",
                "There is still plenty left to do.",
                "Some of the results surprised us.",
                "Feedback in the comments is very welcome.",
            ),
            headings=("Background", "What we learned", "Next steps", "A few caveats", "Conclusion"),
        ),
    },
    list_intros=(
        "The main points at a glance:",
        "The plan includes the following measures:",
        "Here is what changes:",
        "A few things to keep in mind:",
    ),
    cities=(
        "Harbourside", "Millbrook", "Eastwick", "Port Ellery", "Cranford", "Ashby", "Kingsbridge", "Wexley",
        "Fairhaven", "Oakridge",
    ),
    rivers=("Avon", "Wye", "Colne", "Ouse", "Tamar"),
    capitals=("Brussels", "Warsaw", "Paris", "Vienna", "Ottawa"),
    companies=(
        "Northgate Logistics", "Bayview Foods", "Kestrel Components", "Harbour Shipping Co.", "Ellery Steel",
        "Bluewater Energy",
    ),
    male_first=("James", "Daniel", "Tom", "Owen", "Marcus", "Ravi"),
    female_first=("Sarah", "Priya", "Maria", "Grace", "Hannah", "Chloe"),
    last_names=("Mitchell", "Okafor", "Hughes", "Patel", "Brennan", "Walsh", "Fischer", "Lindqvist", "Moreno"),
    months=(
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    ),
    weekdays=("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"),
    image_credits=(
        "jorono (CC0), Pixabay", "Photo: staff", "Image: Pixabay", "Photo by Grace Walsh on Unsplash",
        "Photo: county press office",
    ),
    image_alts=("", "File photo", "The town hall", "Crews at the scene", "Illustration"),
    thousands_sep=",",
    decimal_sep=".",
)

LANGUAGES = {"de": GERMAN, "en": ENGLISH}

_DE_CIVIC_SUBJECTS = (
    "Der Bürgermeister von {city}", "Die Stadtkämmerin", "Ein Sprecher der Stadtverwaltung",
    "Die Vorsitzende des Gemeinderats", "Die Bürgerinitiative",
)
_EN_CIVIC_SUBJECTS = (
    "The mayor of {city}", "The council's finance chair", "A spokesperson for the county",
    "The residents' association", "The planning committee",
)

TOPICS: dict[str, Topic] = {
    t.key: t
    for t in (
        Topic(
            key="politik", language="de", register="news", category="Politik",
            tags=("Bundespolitik", "Haushalt", "Landtag", "Koalition"),
            titles=(
                "Koalition streitet über Haushalt {year}: Einigung bis {month} fraglich",
                "Landtag in {city}: Opposition fordert Untersuchungsausschuss zur Förderaffäre",
                "Bundesrat stoppt Reform der Grundsteuer – Länder verlangen Nachbesserungen",
                "Nach Wahlschlappe in {city}: Parteispitze kündigt Neuaufstellung an",
                "Kabinett beschließt Entlastungspaket über {n} Milliarden Euro",
                "Außenministerin reist nach {capital}: Gespräche über Waffenruhe im Fokus",
            ),
            headings=(
                "Streit um die Finanzierung", "Länder pochen auf Mitsprache", "Was im Entlastungspaket steckt",
                "Die Opposition wittert ein Wahlkampfmanöver", "Gespräche hinter verschlossenen Türen",
            ),
            subjects=(
                "Der Fraktionsvorsitzende", "Die Finanzministerin", "Ein Regierungssprecher",
                "Die Opposition im Landtag", "Der Bund der Steuerzahler",
            ),
            speakers=(
                "Finanzministerin {fname}", "Fraktionschef {mname}", "Regierungssprecher {mname}",
                "die Politikwissenschaftlerin {fname}",
            ),
            facts=(
                "Die Fraktionen hatten sich erst nach stundenlangen Verhandlungen auf einen gemeinsamen Entwurf "
                "verständigt.",
                "Im Landtag kam es zu einem heftigen Schlagabtausch zwischen Regierung und Opposition.",
                "Der Entwurf sieht Mehrausgaben von rund {n} Millionen Euro für Schulen und Kitas vor.",
                "Umfragen zufolge hält eine knappe Mehrheit der Befragten die Pläne für unausgegoren.",
                "Die Abstimmung im Bundestag ist für Ende {month} angesetzt.",
            ),
            that=(
                "dass die Regierung an ihrem Zeitplan festhalten werde",
                "dass über die Schuldenbremse nicht verhandelt werde",
                "dass die Länder stärker an den Kosten beteiligt werden müssten",
                "dass man mit dem Kompromiss insgesamt gut leben könne",
            ),
            clauses=(
                "wollen die Spitzen der Koalition erneut zusammenkommen",
                "legte das Finanzministerium einen überarbeiteten Entwurf vor",
                "stimmten {n} Abgeordnete gegen den Antrag",
                "soll ein Vermittlungsausschuss nach einer Lösung suchen",
            ),
            quotes=(
                "Wir werden uns nicht unter Druck setzen lassen",
                "Dieser Haushalt ist ein Bekenntnis zu gleichwertigen Lebensverhältnissen",
                "Die Bürgerinnen und Bürger erwarten zu Recht, dass wir Lösungen liefern",
            ),
            items=(
                "Entlastung bei der Stromsteuer für private Haushalte",
                "Mehr Geld für die Sanierung maroder Schulgebäude",
                "Schnellere Genehmigungsverfahren für Windräder und Stromtrassen",
                "Eine Erhöhung des Kinderzuschlags um {n} Euro im Monat",
            ),
        ),
        Topic(
            key="wirtschaft", language="de", register="news", category="Wirtschaft",
            tags=("Insolvenz", "Arbeitsmarkt", "Industrie", "Konjunktur"),
            titles=(
                "Insolvenz bei {company}: {big} Beschäftigte bangen um ihre Jobs",
                "Exporte brechen ein: Maschinenbauer in {city} meldet Kurzarbeit an",
                "Inflation sinkt im {month} auf {rate} Prozent",
                "{company} streicht {n} Prozent der Stellen am Standort {city}",
                "Fachkräftemangel: Handwerksbetriebe in {city} finden kaum noch Auszubildende",
            ),
            headings=(
                "Gründe für die Schieflage", "Betriebsrat zeigt sich enttäuscht", "Folgen für die Region",
                "Was Ökonomen erwarten", "Lieferketten unter Druck",
            ),
            subjects=(
                "Der Insolvenzverwalter", "Die Geschäftsführung", "Der Betriebsrat",
                "Die Industrie- und Handelskammer", "Ein Sprecher der Gewerkschaft",
            ),
            speakers=(
                "Betriebsratschefin {fname}", "Insolvenzverwalter {mname}", "der Ökonom {mname}",
                "IHK-Präsidentin {fname}",
            ),
            facts=(
                "Das Unternehmen beschäftigt an seinem Stammsitz in {city} rund {big} Menschen.",
                "Bereits im vergangenen Geschäftsjahr war der Umsatz um {n} Prozent zurückgegangen.",
                "Die Gewerkschaft kündigte für die kommende Woche Warnstreiks an.",
                "Der vorläufige Insolvenzverwalter will den Geschäftsbetrieb zunächst fortführen.",
                "Höhere Energiepreise und eine schwache Nachfrage aus dem Ausland belasten die Branche.",
            ),
            that=(
                "dass die Löhne für die kommenden drei Monate gesichert seien",
                "dass ein Investor bereits Interesse signalisiert habe",
                "dass sich die Auftragslage frühestens im Herbst bessern werde",
                "dass der Standort {city} vorerst erhalten bleibe",
            ),
            clauses=(
                "sanken die Auftragseingänge im Vergleich zum Vorjahr um {n} Prozent",
                "will die Geschäftsführung mit dem Betriebsrat über einen Sozialplan verhandeln",
                "meldeten in der Region {n} Betriebe Kurzarbeit an",
                "stieg die Zahl der Firmenpleiten deutlich",
            ),
            quotes=(
                "Die Lage ist ernst, aber nicht hoffnungslos",
                "Wir kämpfen um jeden einzelnen Arbeitsplatz",
                "Ohne verlässliche Energiepreise verlieren wir den Anschluss",
            ),
            items=(
                "Verkauf der Logistiksparte an einen Finanzinvestor",
                "Abbau von {n} Stellen in der Verwaltung bis Jahresende",
                "Schließung des Werks in {city} bis {year}",
                "Verlagerung der Produktion nach Osteuropa",
            ),
        ),
        Topic(
            key="hochwasser", language="de", register="news", category="Unwetter",
            tags=("Hochwasser", "Feuerwehr", "Starkregen", "Katastrophenschutz"),
            titles=(
                "Überschwemmung in {city}: Gemeinderäte beraten über Soforthilfe",
                "Hochwasser an der {river}: Feuerwehr sichert Deiche mit {big} Sandsäcken",
                "Nach dem Starkregen: Straße zwischen {city} und {city2} bleibt gesperrt",
                "Pegel der {river} steigt weiter – Bürgermeister von {city} ruft Katastrophenfall aus",
                "Aufräumarbeiten nach der Überschwemmung: Helfer aus {city} im Dauereinsatz",
            ),
            headings=(
                "Einsatzkräfte rund um die Uhr im Einsatz", "Schäden in Millionenhöhe befürchtet",
                "Soforthilfe für betroffene Familien", "Was Hausbesitzer jetzt beachten sollten",
                "Warnungen des Wetterdienstes",
            ),
            subjects=(
                "Der Bürgermeister von {city}", "Die Feuerwehr", "Der Landkreis",
                "Ein Sprecher des Technischen Hilfswerks", "Der Deutsche Wetterdienst",
            ),
            speakers=(
                "Bürgermeister {mname}", "Kreisbrandmeister {mname}", "die Anwohnerin {fname}", "Landrätin {fname}",
            ),
            facts=(
                "In der Nacht zum {weekday} fielen in {city} mehr als {n} Liter Regen pro Quadratmeter.",
                "Zahlreiche Keller in der Bahnhofstraße und am Mühlgraben liefen voll Wasser.",
                "Die Feuerwehr rückte nach eigenen Angaben zu mehr als {n} Einsätzen aus.",
                "Die Schäden an Straßen und Brücken lassen sich nach Einschätzung der Gemeinde noch nicht "
                "beziffern.",
                "Der Deutsche Wetterdienst warnt für das Wochenende vor weiteren Gewittern mit Starkregen.",
            ),
            that=(
                "dass die Überschwemmung die schwerste seit über {n} Jahren sei",
                "dass betroffene Familien schnell und unbürokratisch Hilfe erhalten sollen",
                "dass die Straße frühestens Ende {month} wieder freigegeben werde",
                "dass die Deiche an der {river} dringend verstärkt werden müssten",
            ),
            clauses=(
                "mussten {n} Bewohnerinnen und Bewohner ihre Häuser verlassen",
                "stellte der Gemeinderat eine Soforthilfe von {big} Euro bereit",
                "bleibt die Straße zwischen {city} und {city2} bis auf Weiteres gesperrt",
                "waren neben der Feuerwehr auch das Technische Hilfswerk und zahlreiche Freiwillige im Einsatz",
            ),
            quotes=(
                "So etwas habe ich in meinen {n} Dienstjahren noch nicht erlebt",
                "Die Hilfsbereitschaft der Menschen hier ist überwältigend",
                "Wir müssen beim Hochwasserschutz endlich größer denken",
            ),
            items=(
                "Keller erst betreten, wenn der Strom abgeschaltet ist",
                "Schäden mit Fotos dokumentieren und der Versicherung melden",
                "Sperrmüll ab {weekday} an den Sammelstellen abgeben",
                "Trinkwasser vorerst nur abgekocht verwenden",
                "Anträge auf Soforthilfe im Bürgerbüro stellen",
            ),
        ),
        Topic(
            key="kommunal", language="de", register="news", category="Kommunalpolitik",
            tags=("Gemeinderat", "Haushalt", "Bauen", "Bürgerbeteiligung"),
            titles=(
                "Gemeinderäte in {city} stimmen für neues Baugebiet am Ortsrand",
                "Bürgermeister von {city} will Grundsteuer um {n} Prozent anheben",
                "Sanierung der Hauptstraße in {city} kostet deutlich mehr als geplant",
                "Streit um Schwimmbad: Bürgerinitiative in {city} sammelt {big} Unterschriften",
                "Neue Kita in {city}: Baubeginn verzögert sich bis {month}",
            ),
            headings=(
                "Knappe Mehrheit im Gemeinderat", "Woher das Geld kommen soll", "Anwohner fühlen sich übergangen",
                "Der Zeitplan wackelt", "Was die Verwaltung vorschlägt",
            ),
            subjects=_DE_CIVIC_SUBJECTS,
            speakers=("Bürgermeisterin {fname}", "Gemeinderat {mname}", "Stadtkämmerin {fname}", "Anwohner {mname}"),
            facts=(
                "Die Sitzung im großen Saal des Rathauses war bis auf den letzten Platz besetzt.",
                "Für das Projekt sind im Haushalt bislang {big} Euro eingeplant.",
                "Mehrere Gemeinderäte äußerten Zweifel an der Wirtschaftlichkeit.",
                "Die Anwohner der Schulstraße befürchten mehr Verkehr und Lärm.",
                "Ein Gutachten soll bis zum Frühjahr Klarheit über die Kosten bringen.",
            ),
            that=(
                "dass die Gemeinde ohne Fördermittel des Landes nicht auskommen werde",
                "dass die Bürgerinnen und Bürger frühzeitig beteiligt würden",
                "dass das Schwimmbad bis mindestens {year} geöffnet bleibe",
                "dass die Gebühren für die Müllabfuhr im kommenden Jahr steigen",
            ),
            clauses=(
                "stimmten {n} Gemeinderäte für den Vorschlag der Verwaltung",
                "sollen die Bauarbeiten an der Straße im {month} beginnen",
                "lädt die Stadt zu einer Bürgerversammlung in die Mehrzweckhalle ein",
                "muss der Kreistag dem Vorhaben noch zustimmen",
            ),
            quotes=(
                "Wir können nicht jedes Jahr neue Schulden machen",
                "Die Menschen in {city} haben ein Recht auf eine funktionierende Infrastruktur",
                "Über die Köpfe der Anwohner hinweg wird hier nichts entschieden",
            ),
            items=(
                "Erneuerung der Wasserleitungen unter der Hauptstraße",
                "Neue Radwege entlang der Bundesstraße",
                "{n} zusätzliche Betreuungsplätze in der Kita Sonnenschein",
                "Sanierung der Turnhalle an der Grundschule",
                "Mehr Parkplätze am Bahnhof",
            ),
        ),
        Topic(
            key="digital", language="de", register="blog", category="Technik",
            tags=("Datenschutz", "Glasfaser", "Sicherheit", "Open Source"),
            titles=(
                "Datenschutz: Warum die neue App der Stadt {city} in der Kritik steht",
                "Glasfaserausbau in {city}: Erste {big} Haushalte sind angeschlossen",
                "Sicherheitslücke in Router-Firmware: Hersteller liefert Update nach {n} Tagen",
                "Künstliche Intelligenz im Rathaus: {city} testet digitalen Bürgerservice",
                "Linux auf alten Laptops: So kommen Geräte in {city} zurück in den Unterricht",
            ),
            headings=(
                "Was hinter der Lücke steckt", "So funktioniert der Dienst", "Kritik von Datenschützern",
                "Tipps für den Alltag", "Ein Blick auf die Kosten",
            ),
            subjects=(
                "Der Hersteller", "Die Stadtverwaltung", "Der Landesdatenschutzbeauftragte",
                "Ein Entwickler des Projekts", "Die Verbraucherzentrale",
            ),
            speakers=("Entwicklerin {fname}", "Datenschützer {mname}", "IT-Leiter {mname}",
                      "Sicherheitsforscherin {fname}"),
            facts=(
                "Die Software speichert Standortdaten nach Angaben der Entwickler nur verschlüsselt.",
                "Insgesamt sollen bis Ende {year} rund {big} Anschlüsse entstehen.",
                "Betroffen sind vor allem ältere Geräte, die keine automatischen Updates mehr erhalten.",
                "Der Quellcode der Anwendung ist inzwischen öffentlich einsehbar.",
                "Nutzerinnen und Nutzer müssen das Update über die Weboberfläche selbst einspielen.",
            ),
            that=(
                "dass keine personenbezogenen Daten an Dritte weitergegeben würden",
                "dass die Schwachstelle bereits aktiv ausgenutzt werde",
                "dass der Ausbau in den Außenbezirken länger dauern werde",
                "dass man auf offene Standards setzen wolle",
            ),
            clauses=(
                "veröffentlichte der Hersteller eine korrigierte Firmware",
                "können Bürger ihren Personalausweis künftig online beantragen",
                "prüft der Landesdatenschutzbeauftragte die Anwendung",
                "wurden im Testbetrieb mehr als {big} Anfragen bearbeitet",
            ),
            quotes=(
                "Sicherheit darf kein nachträglicher Gedanke sein",
                "Gerade für Ältere ist der persönliche Kontakt im Bürgerbüro weiterhin wichtig",
                "Wer heute nicht in Glasfaser investiert, verliert morgen den Anschluss",
            ),
            items=(
                "Firmware auf Version {n}.2 aktualisieren",
                "Standardpasswörter sofort ändern",
                "Fernwartung im Router deaktivieren",
                "Regelmäßig Sicherungskopien anlegen",
                "Zwei-Faktor-Anmeldung aktivieren",
            ),
        ),
        Topic(
            key="council", language="en", register="news", category="Local",
            tags=("Council", "Housing", "Budget", "Planning"),
            titles=(
                "{city} council approves new housing estate on the edge of town",
                "Mayor of {city} proposes {n}% rise in property tax",
                "Road repairs in {city} to cost far more than planned",
                "Residents in {city} gather {big} signatures to save swimming pool",
                "New primary school in {city} delayed until {month}",
            ),
            headings=(
                "A narrow majority", "Where the money comes from", "Residents feel left out",
                "The timetable is slipping", "What the council proposes",
            ),
            subjects=_EN_CIVIC_SUBJECTS,
            speakers=("Mayor {person}", "Councillor {person}", "{person}, who chairs the planning committee",
                      "resident {person}"),
            facts=(
                "The council chamber was packed for the vote.",
                "The budget currently sets aside {big} dollars for the project.",
                "Several councillors questioned whether the scheme was affordable.",
                "Residents of School Street fear more traffic and noise.",
                "An independent review is due to report by the spring.",
            ),
            that=(
                "the town could not manage without state funding",
                "residents would be consulted early",
                "the pool would stay open until at least {year}",
                "waste collection fees would rise next year",
            ),
            clauses=(
                "{n} councillors voted for the proposal",
                "work on the road is due to begin in {month}",
                "the town will hold a public meeting at the community hall",
                "the county board still has to approve the plan",
            ),
            quotes=(
                "We cannot keep borrowing year after year",
                "People in {city} deserve roads that work",
                "Nothing will be decided over the heads of residents",
            ),
            items=(
                "Replacing the water mains under Main Street",
                "New cycle lanes along the highway",
                "{n} extra places at the Sunshine nursery",
                "Refurbishing the primary school gym",
                "More parking at the station",
            ),
        ),
        Topic(
            key="storm", language="en", register="news", category="Weather",
            tags=("Flooding", "Storm", "Emergency services"),
            titles=(
                "Flooding in {city}: council weighs emergency aid",
                "River {river} bursts its banks as crews fill {big} sandbags",
                "Road between {city} and {city2} closed after heavy rain",
                "Overnight storm knocks out power to {big} homes in {city}",
                "Clean-up begins in {city} after worst floods in {n} years",
            ),
            headings=(
                "Crews working around the clock", "Damage expected to run into millions",
                "Emergency help for families", "What homeowners should do now", "More warnings from forecasters",
            ),
            subjects=(
                "The fire department", "The mayor of {city}", "The National Weather Service",
                "A county spokesperson", "The utility company",
            ),
            speakers=("Fire Chief {person}", "Mayor {person}", "resident {person}",
                      "county emergency manager {person}"),
            facts=(
                "More than {n} millimetres of rain fell on {city} overnight.",
                "Dozens of basements along Mill Lane were flooded.",
                "The fire department said it had responded to more than {n} calls.",
                "The cost of the damage to roads and bridges is not yet known.",
                "Forecasters have warned of further thunderstorms over the weekend.",
            ),
            that=(
                "it was the worst flooding in more than {n} years",
                "affected families would receive help quickly",
                "the road would not reopen before the end of {month}",
                "the flood defences along the river urgently needed strengthening",
            ),
            clauses=(
                "{n} residents had to leave their homes",
                "the council released {big} dollars in emergency aid",
                "the road between {city} and {city2} remains closed until further notice",
                "volunteers joined firefighters to clear debris from the streets",
            ),
            quotes=(
                "I have not seen anything like this in {n} years on the job",
                "The way people here have helped each other is overwhelming",
                "We need to think bigger about flood protection",
            ),
            items=(
                "Do not enter flooded basements until the power is off",
                "Photograph the damage and tell your insurer",
                "Bulky waste can be dropped at collection points from {weekday}",
                "Boil tap water until further notice",
                "Apply for emergency grants at the town hall",
            ),
        ),
        Topic(
            key="business", language="en", register="news", category="Business",
            tags=("Jobs", "Economy", "Manufacturing", "Bankruptcy"),
            titles=(
                "{company} files for bankruptcy, putting {big} jobs at risk",
                "Exports slump as {city} manufacturer puts staff on short hours",
                "Inflation eases to {rate}% in {month}",
                "{company} to cut {n}% of jobs at {city} plant",
                "Small firms in {city} struggle to hire apprentices",
            ),
            headings=(
                "Why the company ran into trouble", "Unions voice disappointment", "What it means for the region",
                "What economists expect", "Supply chains under strain",
            ),
            subjects=(
                "The administrator", "The company's management", "The union", "The chamber of commerce",
                "A company spokesperson",
            ),
            speakers=("union representative {person}", "economist {person}", "chief executive {person}",
                      "{person}, an analyst at Harbour Capital"),
            facts=(
                "The company employs about {big} people at its headquarters in {city}.",
                "Revenue had already fallen by {n}% in the previous financial year.",
                "The union announced walkouts for next week.",
                "The administrator intends to keep the business running for now.",
                "Higher energy prices and weak demand from abroad are weighing on the sector.",
            ),
            that=(
                "wages were secured for the next three months",
                "an investor had already shown interest",
                "orders would not pick up before the autumn",
                "the {city} site would remain open for now",
            ),
            clauses=(
                "new orders fell {n}% compared with a year earlier",
                "management will negotiate a severance plan with the union",
                "{n} firms in the region applied for short-time work",
                "the number of corporate bankruptcies rose sharply",
            ),
            quotes=(
                "The situation is serious but not hopeless",
                "We are fighting for every single job",
                "Without predictable energy prices we will fall behind",
            ),
            items=(
                "Selling the logistics division to a private equity firm",
                "Cutting {n} administrative jobs by the end of the year",
                "Closing the {city} plant by {year}",
                "Moving production to Eastern Europe",
            ),
        ),
        Topic(
            key="environment", language="en", register="blog", category="Nature",
            tags=("Wildlife", "Rivers", "Citizen science", "Climate"),
            titles=(
                "Why the wetlands near {city} are drying out",
                "Counting birds on the {river}: what {n} volunteers found",
                "The return of the beaver to {city}",
                "A forest near {city} is testing a new way to survive drought",
                "What {n} years of river data tell us about summer heat",
            ),
            headings=(
                "What the numbers show", "Voices from the field", "A fragile recovery", "What could help",
                "The view from the riverbank",
            ),
            subjects=(
                "The project's lead researcher", "The local wildlife trust", "A volunteer who has surveyed the site "
                "for years", "The regional water authority",
            ),
            speakers=("ecologist {person}", "volunteer {person}", "{person}, who leads the survey",
                      "forester {person}"),
            facts=(
                "Volunteers counted more than {big} birds over a single weekend.",
                "Water levels in the marsh have dropped by {n} centimetres since spring.",
                "The beaver dams have created a string of small ponds along the valley.",
                "Foresters planted {big} oak and hornbeam saplings last autumn.",
                "Summer water temperatures in the river have risen steadily over the past decade.",
            ),
            that=(
                "the trend was worrying but reversible",
                "the data would be shared openly with researchers",
                "native species were recovering faster than expected",
                "more monitoring stations were needed upstream",
            ),
            clauses=(
                "researchers recorded {n} species that had not been seen there for years",
                "the ponds hold back water long after the rain has stopped",
                "the local trust is asking landowners to leave field margins uncut",
                "the survey will be repeated every spring",
            ),
            quotes=(
                "Nature is remarkably good at healing if we give it room",
                "Every data point tells a small part of a much bigger story",
                "We were surprised by how quickly the birds came back",
            ),
            items=(
                "Leave a strip of wild flowers along field edges",
                "Report sightings through the online survey",
                "Keep dogs on a lead during the nesting season",
                "Use water butts to collect rain in summer",
            ),
        ),
        Topic(
            key="software", language="en", register="blog", category="Engineering",
            tags=("CI", "Databases", "Incidents", "Performance"),
            titles=(
                "Cutting our CI time from {n} minutes to under five",
                "Why we moved {big} jobs from cron to a queue",
                "Lessons from a {n}-hour outage",
                "Profiling a slow endpoint: a {n}x speed-up in three steps",
                "Notes on migrating {big} rows without downtime",
            ),
            headings=(
                "The problem", "What we tried first", "Measuring before changing anything", "The fix",
                "What we would do differently",
            ),
            subjects=(
                "Our on-call engineer", "The vendor", "A colleague on the platform team", "The database team",
            ),
            speakers=("{person}, who led the migration", "our SRE {person}", "{person} from the platform team",
                      "engineering manager {person}"),
            facts=(
                "The test suite had grown to more than {big} tests over three years.",
                "Most of the time was spent waiting on network calls, not computing.",
                "We added a single index and the query dropped from {n} seconds to a few milliseconds.",
                "Our on-call engineer noticed the error rate climbing just after midnight.",
                "The migration ran in batches of {big} rows to keep locks short.",
            ),
            that=(
                "the bottleneck was in the database, not the application code",
                "caching would only hide the underlying problem",
                "the old system had worked well for years",
                "retries without backoff had made the outage worse",
            ),
            clauses=(
                "we split the test suite into {n} parallel shards",
                "the queue now absorbs bursts that used to overload the server",
                "every deploy is rolled out to a small canary group first",
                "we log the duration of every external call",
            ),
            quotes=(
                "Measure first, then optimise",
                "Boring technology is a feature, not a bug",
                "The best incident is the one your users never notice",
            ),
            items=(
                "Set timeouts on every outbound request",
                "Add backoff and jitter to retries",
                "Keep migrations small and reversible",
                "Alert on symptoms, not causes",
                "Write the runbook before you need it",
            ),
        ),
    )
}
