//! The words of Roster's mail, in each language it writes. `{org}`,
//! `{sender}`, `{name}` and `{date}` are filled in by `templates.rs`.

use roster_domain::Language;

pub(crate) struct Words {
    pub invitation_subject: &'static str,
    /// When the organization itself invites (a token, the command line).
    pub invitation_subject_org: &'static str,
    pub hello: &'static str,
    pub hello_nameless: &'static str,
    pub invites_you: &'static str,
    pub org_invites_you: &'static str,
    pub accept: &'static str,
    /// The button of an invitation to an organization that signs its
    /// members in only through its identity provider (`{provider}`).
    pub sign_in_with: &'static str,
    pub expires: &'static str,
    pub not_expected: &'static str,
    pub personal_message: &'static str,
    pub reset_subject: &'static str,
    pub reset_intro: &'static str,
    pub reset_button: &'static str,
    pub reset_expires: &'static str,
    pub reset_not_you: &'static str,
    pub test_subject: &'static str,
    pub test_body: &'static str,
    pub export_subject: &'static str,
    pub export_intro: &'static str,
    pub export_button: &'static str,
    pub export_until: &'static str,
    pub footer: &'static str,
    pub link_fallback: &'static str,
}

pub(crate) fn words(language: Language) -> &'static Words {
    match language {
        Language::En => &EN,
        Language::De => &DE,
        Language::Nl => &NL,
        Language::Fr => &FR,
    }
}

static EN: Words = Words {
    invitation_subject: "{sender} invites you to {org}",
    invitation_subject_org: "You are invited to {org}",
    hello: "Hello {name},",
    hello_nameless: "Hello,",
    invites_you: "{sender} invites you to join {org} on Roster.",
    org_invites_you: "You are invited to join {org} on Roster.",
    accept: "Accept the invitation",
    sign_in_with: "Sign in with {provider}",
    expires: "The invitation is valid until {date} (UTC).",
    not_expected: "If you did not expect this invitation, you can ignore this message.",
    personal_message: "A message from {sender}:",
    reset_subject: "Reset your Roster password",
    reset_intro: "Someone asked to reset the password of your Roster account. Choose a new one here:",
    reset_button: "Choose a new password",
    reset_expires: "The link works once, for one hour.",
    reset_not_you: "If you did not ask for this, ignore this message: your password stays as it is.",
    test_subject: "Roster test message",
    test_body: "This message shows that Roster can send mail with the current SMTP settings.",
    export_subject: "Your export is ready: {name}",
    export_intro: "The export you asked for in {org} is ready: {name}. You will be asked to sign in to download it.",
    export_button: "Download the export",
    export_until: "It can be downloaded until {date} (UTC); then it is deleted.",
    footer: "Sent by Roster on behalf of {org}.",
    link_fallback: "If the button does not work, open this address:",
};

static DE: Words = Words {
    invitation_subject: "{sender} lädt Sie zu {org} ein",
    invitation_subject_org: "Einladung zu {org}",
    hello: "Hallo {name},",
    hello_nameless: "Hallo,",
    invites_you: "{sender} lädt Sie ein, {org} auf Roster beizutreten.",
    org_invites_you: "Sie sind eingeladen, {org} auf Roster beizutreten.",
    accept: "Einladung annehmen",
    sign_in_with: "Mit {provider} anmelden",
    expires: "Die Einladung gilt bis {date} (UTC).",
    not_expected: "Wenn Sie diese Einladung nicht erwartet haben, können Sie diese Nachricht ignorieren.",
    personal_message: "Eine Nachricht von {sender}:",
    reset_subject: "Roster-Passwort zurücksetzen",
    reset_intro: "Jemand möchte das Passwort Ihres Roster-Kontos zurücksetzen. Wählen Sie hier ein neues:",
    reset_button: "Neues Passwort wählen",
    reset_expires: "Der Link funktioniert einmal, eine Stunde lang.",
    reset_not_you:
        "Wenn Sie das nicht angefordert haben, ignorieren Sie diese Nachricht: Ihr Passwort bleibt unverändert.",
    test_subject: "Roster-Testnachricht",
    test_body: "Diese Nachricht zeigt, dass Roster mit den aktuellen SMTP-Einstellungen E-Mails senden kann.",
    export_subject: "Ihr Export ist fertig: {name}",
    export_intro:
        "Der Export, den Sie in {org} angefordert haben, ist fertig: {name}. Zum Herunterladen melden Sie sich an.",
    export_button: "Export herunterladen",
    export_until: "Er kann bis {date} (UTC) heruntergeladen werden; danach wird er gelöscht.",
    footer: "Gesendet von Roster im Auftrag von {org}.",
    link_fallback: "Falls die Schaltfläche nicht funktioniert, öffnen Sie diese Adresse:",
};

static NL: Words = Words {
    invitation_subject: "{sender} nodigt je uit voor {org}",
    invitation_subject_org: "Je bent uitgenodigd voor {org}",
    hello: "Hallo {name},",
    hello_nameless: "Hallo,",
    invites_you: "{sender} nodigt je uit om lid te worden van {org} op Roster.",
    org_invites_you: "Je bent uitgenodigd om lid te worden van {org} op Roster.",
    accept: "Uitnodiging accepteren",
    sign_in_with: "Inloggen met {provider}",
    expires: "De uitnodiging is geldig tot {date} (UTC).",
    not_expected: "Als je deze uitnodiging niet verwachtte, kun je dit bericht negeren.",
    personal_message: "Een bericht van {sender}:",
    reset_subject: "Je Roster-wachtwoord opnieuw instellen",
    reset_intro:
        "Iemand heeft gevraagd het wachtwoord van je Roster-account opnieuw in te stellen. Kies hier een nieuw:",
    reset_button: "Nieuw wachtwoord kiezen",
    reset_expires: "De link werkt één keer, een uur lang.",
    reset_not_you: "Heb je hier niet om gevraagd? Negeer dit bericht: je wachtwoord blijft hetzelfde.",
    test_subject: "Roster-testbericht",
    test_body: "Dit bericht laat zien dat Roster met de huidige SMTP-instellingen e-mail kan versturen.",
    export_subject: "Uw export is klaar: {name}",
    export_intro: "De export die u in {org} hebt aangevraagd is klaar: {name}. Om hem te downloaden meldt u zich aan.",
    export_button: "Export downloaden",
    export_until: "Hij kan tot {date} (UTC) worden gedownload; daarna wordt hij verwijderd.",
    footer: "Verstuurd door Roster namens {org}.",
    link_fallback: "Werkt de knop niet? Open dan dit adres:",
};

static FR: Words = Words {
    invitation_subject: "{sender} vous invite à rejoindre {org}",
    invitation_subject_org: "Vous êtes invité à rejoindre {org}",
    hello: "Bonjour {name},",
    hello_nameless: "Bonjour,",
    invites_you: "{sender} vous invite à rejoindre {org} sur Roster.",
    org_invites_you: "Vous êtes invité à rejoindre {org} sur Roster.",
    accept: "Accepter l’invitation",
    sign_in_with: "Se connecter avec {provider}",
    expires: "L’invitation est valable jusqu’au {date} (UTC).",
    not_expected: "Si vous n’attendiez pas cette invitation, vous pouvez ignorer ce message.",
    personal_message: "Un message de {sender} :",
    reset_subject: "Réinitialiser votre mot de passe Roster",
    reset_intro:
        "Quelqu’un a demandé la réinitialisation du mot de passe de votre compte Roster. Choisissez-en un nouveau ici :",
    reset_button: "Choisir un nouveau mot de passe",
    reset_expires: "Le lien fonctionne une fois, pendant une heure.",
    reset_not_you:
        "Si vous n’êtes pas à l’origine de cette demande, ignorez ce message : votre mot de passe reste inchangé.",
    test_subject: "Message de test de Roster",
    test_body: "Ce message montre que Roster peut envoyer des e-mails avec les réglages SMTP actuels.",
    export_subject: "Votre export est prêt : {name}",
    export_intro: "L’export que vous avez demandé dans {org} est prêt : {name}. Connectez-vous pour le télécharger.",
    export_button: "Télécharger l’export",
    export_until: "Il peut être téléchargé jusqu’au {date} (UTC) ; ensuite il est supprimé.",
    footer: "Envoyé par Roster pour le compte de {org}.",
    link_fallback: "Si le bouton ne fonctionne pas, ouvrez cette adresse :",
};
