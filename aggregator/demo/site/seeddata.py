"""The reference article (shared/seed/seed-page-reconstructed.html) and its two chain neighbours.

The seed text is reproduced exactly (including the list items that the reconstruction left without a
``<ul>``) so extraction can be compared against the reader's text in shared/seed/000_b4349e0a2b79b14c.txt.
"""

from __future__ import annotations

from datetime import UTC, datetime

# (kind, text or items) in page order; "li" is a run of orphan <li> items without a <ul>.
SeedBlock = tuple[str, str | tuple[str, ...]]

SEED_TITLE = (
    "Nach Putin-Telefonat: Trump kündigt sofortige Verhandlungen zur Beendigung des Ukraine-Kriegs an"
)
SEED_SLUG = "trump-putin"
SEED_PUBLISHED = datetime(2025, 2, 12, 20, 15, tzinfo=UTC)
SEED_AUTHOR = "Redaktion"
SEED_IMAGE_CREDIT = "jorono (CC0), Pixabay"
SEED_ORIGINAL_URL = "https://news.example.de/2025/02/12/trump-putin/"

SEED_BLOCKS: tuple[SeedBlock, ...] = (
    ("p", "US-Präsident Donald Trump hat nach einem „langen und äußerst produktiven“ Telefonat mit dem "
          "russischen Präsidenten Wladimir Putin angekündigt, dass Verhandlungen zur Beendigung des "
          "Ukraine-Kriegs sofort beginnen werden."),
    ("h2", "Trump und Putin: Eine neue Gesprächsbasis?"),
    ("p", "Das Gespräch am Mittwochmorgen war die erste bekannte direkte Kommunikation zwischen den beiden "
          "Staatschefs seit Trumps Amtsantritt im Januar. Während seiner Wahlkampagne hatte Trump mehrfach "
          "betont, den Krieg in der Ukraine schnellstmöglich beenden zu wollen – offenbar setzt er dieses "
          "Vorhaben nun in die Tat um."),
    ("p", "In einem Beitrag auf Truth Social teilte Trump mit:"),
    ("p", "„Wir haben über die Ukraine, den Nahen Osten, Energie, Künstliche Intelligenz, die Macht des "
          "Dollars und viele weitere Themen gesprochen. Wir haben uns darauf geeinigt, eng "
          "zusammenzuarbeiten, einschließlich gegenseitiger Besuche in unseren Ländern.“"),
    ("p", "Er fügte hinzu, dass er den ukrainischen Präsidenten Wolodymyr Selenskyj anrufen werde, um ihn "
          "über das Gespräch zu informieren."),
    ("h2", "US-Strategiewechsel: Weniger Fokus auf Ukraine, mehr auf China"),
    ("p", "Trump hatte in den letzten Wochen mehrfach seinen Wunsch geäußert, direkt mit Putin zu sprechen. "
          "Gleichzeitig zeichnet sich eine Neuausrichtung der US-Außenpolitik ab:"),
    ("li", (
        "US-Verteidigungsminister Pete Hegseth erklärte auf einer Konferenz in Brüssel, dass ein "
        "NATO-Beitritt der Ukraine unrealistisch sei.",
        "Die USA wollen ihre Prioritäten verlagern: Statt europäischer Sicherheitsfragen stehen nun der "
        "Schutz der eigenen Grenzen und die Abschreckung Chinas im Vordergrund.",
        "Trump soll zudem an einem Deal mit der Ukraine arbeiten, bei dem amerikanischer Zugang zu den "
        "seltenen Erden des Landes als Gegenleistung für weitere US-Unterstützung verhandelt wird.",
    )),
    ("h2", "Putins Charmeoffensive – und ein geplantes Treffen?"),
    ("p", "Interessanterweise lobte Trump Putin in seinem Statement und hob hervor, dass der Kreml-Chef "
          "sogar sein Wahlkampfmotto „Common Sense“ (gesunder Menschenverstand) verwendet habe. Der russische "
          "Präsident weiß offenbar genau, wie er Trump ansprechen muss."),
    ("p", "Der Kreml bestätigte das Gespräch und gab an, dass die beiden Staatschefs fast 90 Minuten "
          "miteinander telefonierten. Laut russischen Medien soll Putin Trump sogar zu einem Besuch nach "
          "Moskau eingeladen haben."),
    ("h2", "Ein neuer Stil in den Russland-Beziehungen?"),
    ("p", "Während Trumps Vorgänger Joe Biden fast drei Jahre lang keinen direkten Kontakt mit Putin hatte "
          "und ihn als „Kriegsverbrecher“ bezeichnete, setzt der neue US-Präsident offenbar auf eine "
          "pragmatischere Herangehensweise."),
    ("p", "Steve Witkoff, ein enger Trump-Berater und künftiger Chefverhandler im Ukraine-Konflikt, deutete "
          "bereits auf eine mögliche Annäherung hin. Der jüngste Gefangenenaustausch, bei dem der zu Unrecht "
          "inhaftierte Amerikaner Marc Fogel freigelassen wurde, sei ein positives Zeichen für die "
          "Zusammenarbeit mit Moskau."),
    ("p", "„Ich denke, das zeigt, dass die Beziehung zwischen Trump und Putin produktiv sein kann – und das "
          "könnte für die ganze Welt von Vorteil sein“, sagte Witkoff."),
    ("h2", "Wie reagiert Kiew?"),
    ("p", "Während Trump mit Putin über eine mögliche Verhandlungslösung sprach, telefonierte er auch mit "
          "Selenskyj. Inwieweit die Ukraine in diese Pläne eingebunden wird, bleibt abzuwarten. Werden hier "
          "Fakten geschaffen, ohne Kiew wirklich mitentscheiden zu lassen?"),
    ("p", "Eines steht fest: Trump bewegt sich mit rasanten Schritten in eine neue geopolitische Richtung – "
          "und die Welt schaut gespannt zu."),
)

PREVIOUS_TITLE = "Insolvenzantrag der XWOOD Handels GmbH mangels Masse abgewiesen"
PREVIOUS_SLUG = "xwood-insolvenz"
PREVIOUS_PUBLISHED = datetime(2025, 2, 12, 14, 5, tzinfo=UTC)
PREVIOUS_BLOCKS: tuple[SeedBlock, ...] = (
    ("p", "Das zuständige Amtsgericht hat den Antrag auf Eröffnung des Insolvenzverfahrens über das Vermögen "
          "der XWOOD Handels GmbH mangels Masse abgewiesen. Das Vermögen des Unternehmens reicht nach "
          "Einschätzung des Gerichts nicht aus, um die Kosten des Verfahrens zu decken."),
    ("h2", "Was die Abweisung mangels Masse bedeutet"),
    ("p", "Wird ein Insolvenzantrag mangels Masse abgewiesen, findet kein reguläres Insolvenzverfahren statt. "
          "Die Gesellschaft wird in der Regel aufgelöst und im Handelsregister gelöscht, sobald die "
          "Abwicklung abgeschlossen ist."),
    ("p", "Für Gläubigerinnen und Gläubiger ist das eine schlechte Nachricht: Offene Forderungen lassen sich "
          "in solchen Fällen kaum noch durchsetzen."),
    ("h2", "Folgen für Kunden und Lieferanten"),
    ("p", "Kunden, die bereits Anzahlungen geleistet haben, sollten ihre Ansprüche schriftlich geltend machen "
          "und Belege sorgfältig aufbewahren."),
    ("p", "Ob Beschäftigte betroffen sind, ist bislang nicht bekannt. Eine Stellungnahme der Geschäftsführung "
          "lag zunächst nicht vor."),
)

NEXT_TITLE = "Chevron streicht bis zu 20 % der weltweiten Arbeitsplätze – 8.000 Jobs in Gefahr"
NEXT_SLUG = "chevron-stellenabbau"
NEXT_PUBLISHED = datetime(2025, 2, 13, 9, 30, tzinfo=UTC)
NEXT_BLOCKS: tuple[SeedBlock, ...] = (
    ("p", "Der US-Ölkonzern Chevron will weltweit bis zu 20 Prozent seiner Stellen abbauen. Betroffen sein "
          "könnten rund 8.000 Arbeitsplätze, wie das Unternehmen mitteilte."),
    ("h2", "Sparprogramm soll Milliarden bringen"),
    ("p", "Mit dem Umbau will der Konzern seine Kosten bis Ende 2026 deutlich senken. Ein Großteil der "
          "Maßnahmen soll bereits in diesem Jahr greifen."),
    ("p", "Chevron begründet den Schritt mit dem Ziel, schlanker und effizienter zu werden und stärker auf "
          "Technologie zu setzen."),
    ("h2", "Reaktionen an der Börse"),
    ("p", "An der Börse reagierten Anleger zunächst verhalten. Analysten verweisen auf den Druck, unter dem "
          "die gesamte Branche wegen schwankender Ölpreise steht."),
    ("p", "Wie viele Stellen in Europa wegfallen könnten, ließ das Unternehmen offen."),
)
