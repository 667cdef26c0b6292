"""The default letter templates, one per kind and language, written by a data migration.

Clear about the decision, grateful, with the alternatives and the dates. Admins edit them afterwards;
placeholders are those of audits.transitions.placeholders.PLACEHOLDERS.
"""

DEFAULT_TEMPLATES = {
    ("announcement", "en"): (
        "A change in how we work together",
        """{contact_salutation}

Thank you for the trust you have placed in {company_name}. Working with {client_name} has taught us a great deal, and we are grateful for it.

After a careful review of the services we provide, we have decided to bring our collaboration to an end. This is not a judgement on you or your team: we are narrowing what we do so that we can do it well, and we can no longer serve you as you deserve.

Nothing changes overnight. We will keep serving you as usual while we wind down gradually, and our collaboration will end on **{end_date}**. Before then we will suggest other providers who are well placed to take over, and we will help with the handover.

{account_manager_name} remains your contact throughout and will call you shortly to answer your questions ({account_manager_email}).

With our thanks and best regards,

{account_manager_name}
{company_name}
""",
    ),
    ("alternatives", "en"): (
        "Providers who can take over from {end_date}",
        """{contact_salutation}

As announced, our collaboration with {client_name} ends on **{end_date}**. We want the change to be as easy as possible for you, so here are providers we know and trust who are well suited to take over:

{alternatives}

We have no commercial tie to them and receive nothing for recommending them. If you choose one of them, we will gladly hand over your files and history directly, at no cost to you.

Until {end_date}, we continue to serve you as usual. {account_manager_name} ({account_manager_email}) is at your disposal to discuss these options.

Kind regards,

{account_manager_name}
{company_name}
""",
    ),
    ("thank_you", "en"): (
        "Thank you, {client_name}",
        """{contact_salutation}

Our collaboration with {client_name} came to an end on {end_date}. Before we close the file, we simply want to say thank you: for your trust, your patience during the handover, and the years of work we shared.

If you ever need a document from our time together, write to {account_manager_email} and we will send it to you.

We wish you and your team every success.

With our warmest regards,

{account_manager_name}
{company_name}
""",
    ),
    ("announcement", "fr"): (
        "Un changement dans notre collaboration",
        """{contact_salutation}

Merci pour la confiance que vous accordez à {company_name}. Travailler avec {client_name} nous a beaucoup appris, et nous vous en sommes reconnaissants.

Après un examen attentif des services que nous rendons, nous avons décidé de mettre fin à notre collaboration. Ce n’est pas un jugement sur vous ni sur votre équipe : nous recentrons notre activité pour bien faire ce que nous faisons, et nous ne pouvons plus vous servir comme vous le méritez.

Rien ne change du jour au lendemain. Nous continuons à vous servir normalement pendant une réduction progressive, et notre collaboration prendra fin le **{end_date}**. D’ici là, nous vous proposerons d’autres prestataires bien placés pour prendre le relais, et nous vous aiderons lors de la transmission.

{account_manager_name} reste votre interlocuteur tout au long de cette période et vous appellera prochainement pour répondre à vos questions ({account_manager_email}).

Avec nos remerciements et nos salutations distinguées,

{account_manager_name}
{company_name}
""",
    ),
    ("alternatives", "fr"): (
        "Des prestataires pour prendre le relais à partir du {end_date}",
        """{contact_salutation}

Comme annoncé, notre collaboration avec {client_name} prend fin le **{end_date}**. Nous souhaitons que ce changement soit le plus simple possible pour vous ; voici des prestataires que nous connaissons et en qui nous avons confiance, bien placés pour prendre le relais :

{alternatives}

Nous n’avons aucun lien commercial avec eux et ne recevons rien pour les recommander. Si vous choisissez l’un d’eux, nous lui transmettrons volontiers vos dossiers et votre historique, sans frais pour vous.

Jusqu’au {end_date}, nous continuons à vous servir normalement. {account_manager_name} ({account_manager_email}) est à votre disposition pour en parler.

Bien cordialement,

{account_manager_name}
{company_name}
""",
    ),
    ("thank_you", "fr"): (
        "Merci, {client_name}",
        """{contact_salutation}

Notre collaboration avec {client_name} a pris fin le {end_date}. Avant de clore le dossier, nous tenons simplement à vous remercier : pour votre confiance, votre patience pendant la transmission et les années de travail partagées.

Si vous avez un jour besoin d’un document de cette période, écrivez à {account_manager_email} et nous vous le ferons parvenir.

Nous vous souhaitons, à vous et à votre équipe, beaucoup de succès.

Très cordialement,

{account_manager_name}
{company_name}
""",
    ),
    ("announcement", "nl"): (
        "Een verandering in onze samenwerking",
        """{contact_salutation}

Dank u voor het vertrouwen dat u in {company_name} stelt. De samenwerking met {client_name} heeft ons veel geleerd, en daar zijn we dankbaar voor.

Na een zorgvuldige evaluatie van onze dienstverlening hebben we besloten onze samenwerking te beëindigen. Dit is geen oordeel over u of uw team: we richten ons op minder diensten om die goed te kunnen leveren, en we kunnen u niet langer helpen zoals u verdient.

Er verandert niets van de ene dag op de andere. We blijven u gewoon bedienen terwijl we geleidelijk afbouwen, en onze samenwerking eindigt op **{end_date}**. Voor die datum stellen we u andere dienstverleners voor die het werk goed kunnen overnemen, en we helpen bij de overdracht.

{account_manager_name} blijft uw aanspreekpunt en belt u binnenkort om uw vragen te beantwoorden ({account_manager_email}).

Met dank en vriendelijke groet,

{account_manager_name}
{company_name}
""",
    ),
    ("alternatives", "nl"): (
        "Dienstverleners die het vanaf {end_date} kunnen overnemen",
        """{contact_salutation}

Zoals aangekondigd eindigt onze samenwerking met {client_name} op **{end_date}**. We willen de overstap zo eenvoudig mogelijk maken; daarom stellen we u deze dienstverleners voor, die we kennen en vertrouwen en die het werk goed kunnen overnemen:

{alternatives}

We hebben geen commerciële band met hen en ontvangen niets voor deze aanbeveling. Kiest u een van hen, dan dragen we uw dossiers en geschiedenis graag rechtstreeks over, zonder kosten voor u.

Tot {end_date} blijven we u gewoon bedienen. {account_manager_name} ({account_manager_email}) bespreekt deze mogelijkheden graag met u.

Met vriendelijke groet,

{account_manager_name}
{company_name}
""",
    ),
    ("thank_you", "nl"): (
        "Dank u wel, {client_name}",
        """{contact_salutation}

Onze samenwerking met {client_name} is op {end_date} beëindigd. Voor we het dossier afsluiten, willen we u gewoon bedanken: voor uw vertrouwen, uw geduld tijdens de overdracht en de jaren dat we samenwerkten.

Hebt u ooit een document uit die periode nodig, schrijf dan naar {account_manager_email} en we sturen het u toe.

We wensen u en uw team veel succes.

Met hartelijke groet,

{account_manager_name}
{company_name}
""",
    ),
    ("announcement", "ro"): (
        "O schimbare în colaborarea noastră",
        """{contact_salutation}

Vă mulțumim pentru încrederea acordată {company_name}. Colaborarea cu {client_name} ne-a învățat multe și vă suntem recunoscători pentru aceasta.

După o analiză atentă a serviciilor pe care le oferim, am hotărât să încheiem colaborarea noastră. Nu este o judecată asupra dumneavoastră sau a echipei dumneavoastră: ne restrângem activitatea pentru a face bine ceea ce facem și nu vă mai putem servi așa cum meritați.

Nimic nu se schimbă peste noapte. Vă vom servi în continuare ca de obicei, reducând treptat activitatea, iar colaborarea noastră se va încheia la **{end_date}**. Până atunci vă vom propune alți furnizori bine pregătiți să preia activitatea și vă vom ajuta la predare.

{account_manager_name} rămâne persoana dumneavoastră de contact și vă va suna în curând pentru a răspunde întrebărilor ({account_manager_email}).

Cu mulțumiri și cele mai bune gânduri,

{account_manager_name}
{company_name}
""",
    ),
    ("alternatives", "ro"): (
        "Furnizori care pot prelua activitatea de la {end_date}",
        """{contact_salutation}

Așa cum am anunțat, colaborarea noastră cu {client_name} se încheie la **{end_date}**. Dorim ca schimbarea să fie cât mai ușoară pentru dumneavoastră, așa că vă propunem acești furnizori, pe care îi cunoaștem și în care avem încredere:

{alternatives}

Nu avem nicio legătură comercială cu ei și nu primim nimic pentru această recomandare. Dacă alegeți unul dintre ei, îi vom preda cu plăcere dosarele și istoricul dumneavoastră, fără costuri pentru dumneavoastră.

Până la {end_date} vă servim în continuare ca de obicei. {account_manager_name} ({account_manager_email}) vă stă la dispoziție pentru a discuta aceste variante.

Cu stimă,

{account_manager_name}
{company_name}
""",
    ),
    ("thank_you", "ro"): (
        "Vă mulțumim, {client_name}",
        """{contact_salutation}

Colaborarea noastră cu {client_name} s-a încheiat la {end_date}. Înainte de a închide dosarul, dorim pur și simplu să vă mulțumim: pentru încredere, pentru răbdarea din timpul predării și pentru anii de lucru împreună.

Dacă veți avea vreodată nevoie de un document din această perioadă, scrieți-ne la {account_manager_email} și vi-l vom trimite.

Vă dorim dumneavoastră și echipei dumneavoastră mult succes.

Cu cele mai calde urări,

{account_manager_name}
{company_name}
""",
    ),
}
