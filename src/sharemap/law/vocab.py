"""Controlled vocabularies of the law layer, defined once.

Every provision file, every ruling and every other layer (trace, simulator, audit) uses these names.
The string values are the spellings used in the YAML files, the CLI and the JSON output; they are
stable: new members may be added, existing ones are never renamed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sharemap.kb.jurisdictions import law_jurisdictions
from sharemap.kb.model import Model287g


class Actor(StrEnum):
    """Who acts. A provision lists the actors it binds."""

    SHERIFF = "sheriff"  # county sheriff or the operator of a county/local jail
    LOCAL_POLICE = "local_police"  # city or county police department
    STATE_POLICE = "state_police"  # state police, highway patrol, state investigators
    CORRECTIONS = "corrections"  # state prisons, probation and parole
    DMV = "dmv"  # driver and vehicle licensing agency (DMV, DOL, MVA, MVC)
    STATE_AGENCY = "state_agency"  # any other state executive agency
    LOCAL_GOVERNMENT = "local_government"  # a county or city acting as policymaker (board, council)
    PLATE_READER_OPERATOR = "plate_reader_operator"  # a public agency operating or using ALPR data
    COURT = "court"  # state courts and court staff
    FEDERAL_AGENCY = "federal_agency"  # a federal agency other than DHS (IRS, CMS, FBI)


class Action(StrEnum):
    """What is done. Each action is a question a ruling can answer."""

    HOLD_ON_DETAINER = "hold_on_detainer"  # keep a person past release on an ICE detainer (I-247A)
    NOTIFY_RELEASE = "notify_release"  # tell ICE a release date or time, or answer a notification request
    GIVE_JAIL_ACCESS = "give_jail_access"  # let ICE into the jail or non-public areas, or to interview people
    ASK_STATUS = "ask_immigration_status"  # ask a person about citizenship, immigration status, birthplace
    SHARE_STATUS = "share_immigration_status"  # send citizenship or immigration status info (1373)
    ENTER_287G_JEM = "enter_287g_jem"  # enter or keep a 287(g) Jail Enforcement Model agreement
    ENTER_287G_TFM = "enter_287g_tfm"  # enter or keep a 287(g) Task Force Model agreement
    ENTER_287G_WSO = "enter_287g_wso"  # enter or keep a 287(g) Warrant Service Officer agreement
    ENTER_287G_ANY = "enter_287g_any"  # hold at least one 287(g) agreement, of any model
    DETENTION_CONTRACT = "detention_contract"  # contract to hold people in civil immigration detention
    SHARE_ALPR_FEDERAL = "share_alpr_federal"  # share or give access to plate-reader data to a federal agency
    SHARE_ALPR_OUT_OF_STATE = "share_alpr_out_of_state"  # ... to an agency of another state
    SHARE_ALPR_IMMIGRATION = "share_alpr_immigration"  # ... for immigration enforcement, to anyone
    DISCLOSE_DMV_RECORD = "disclose_dmv_record"  # disclose driver or vehicle records (incl. via Nlets)
    DISCLOSE_DMV_PHOTO = "disclose_dmv_photo"  # disclose licence photos or run facial-recognition searches
    SHARE_PERSONAL_INFO = "share_personal_info"  # share addresses, contact details and other personal data
    GIVE_DATABASE_ACCESS = "give_database_access"  # give ICE direct access to an agency database
    TRANSFER_CUSTODY = "transfer_custody"  # hand a person in custody over to ICE
    USE_RESOURCES = "use_resources"  # use public money, staff or equipment for immigration enforcement
    VERIFY_STATUS_AT_BOOKING = "verify_status_at_booking"  # check a booked person's status with DHS
    ADOPT_LIMITING_POLICY = "adopt_limiting_policy"  # adopt a local policy that limits cooperation


class RetainedData(StrEnum):
    """Kinds of data a retention limit (a provision's `retention` block) can cover."""

    ALPR = "alpr"  # plate reads held by a public agency: plate, time, place, images


class LegalProcess(StrEnum):
    """The legal document in hand when ICE asks. Provisions name exactly which ones they accept."""

    JUDICIAL_WARRANT = "judicial_warrant"  # warrant or order signed by a state judge or magistrate
    FEDERAL_JUDICIAL_WARRANT = "federal_judicial_warrant"  # warrant or order signed by a federal judge
    FEDERAL_CRIMINAL_WARRANT = "federal_criminal_warrant"  # criminal warrant issued by a federal court
    ADMINISTRATIVE_WARRANT = "administrative_warrant"  # ICE Form I-200 or I-205, signed by an ICE officer
    DETAINER = "detainer"  # DHS Form I-247A request (with or without an administrative warrant)
    SUBPOENA = "subpoena"  # an administrative or grand-jury subpoena
    NONE = "none"  # no legal document: a request, a query, a phone call


class Purpose(StrEnum):
    """Why the information or help is asked for."""

    CIVIL_IMMIGRATION = "civil_immigration_enforcement"
    CRIMINAL_INVESTIGATION = "criminal_investigation"
    OTHER = "other"


class Recipient(StrEnum):
    """Who receives the information or the person."""

    FEDERAL = "federal"  # a federal agency (ICE, CBP, HSI, another DHS component)
    OUT_OF_STATE = "out_of_state"  # a state or local agency of another state
    IN_STATE = "in_state"  # a state or local agency of the same state


class DataKind(StrEnum):
    """What is disclosed. 8 U.S.C. 1373 and 1644 reach only IMMIGRATION_STATUS."""

    IMMIGRATION_STATUS = "immigration_status"  # citizenship or immigration status only
    RELEASE_DATE = "release_date"  # release date, time or place
    ADDRESS = "address"  # home or work address, phone, contact details
    PERSONAL_INFO = "personal_info"  # other non-public personal information
    DMV_RECORD = "dmv_record"  # driver and vehicle record
    PHOTO = "photo"  # licence photo or facial image
    PLATE_READS = "plate_reads"  # licence-plate-reader detections
    CRIMINAL_HISTORY = "criminal_history"  # criminal history record information
    TAX_RETURN = "tax_return"  # federal tax return information
    MEDICAID_RECORD = "medicaid_record"  # Medicaid enrolment and claims data


class Effect(StrEnum):
    """What a provision says about an action, and what a ruling concludes.

    NO_PROVISION is kept apart from PERMITTED: it means no coded provision speaks to the question
    (in a jurisdiction whose law on it was researched). NOT_RESEARCHED means the jurisdiction's own law
    on the question has not been researched: what the state says is unknown, never "permitted".
    """

    PROHIBITED = "prohibited"
    REQUIRED = "required"
    PERMITTED = "permitted"
    PERMITTED_WITH_CONDITIONS = "permitted_with_conditions"
    NO_PROVISION = "no_provision"
    NOT_RESEARCHED = "not_researched"
    UNCERTAIN = "uncertain"  # a deciding provision's start or end date is known only within bounds


class Topic(StrEnum):
    """What a jurisdiction's law was researched for (see law/coverage.yaml); each action has one."""

    AGREEMENTS_287G = "agreements_287g"  # 287(g) and detention agreements with ICE
    DETAINERS = "detainers"
    RELEASE_NOTIFICATION = "release_notification"
    JAIL_ACCESS = "jail_access"
    STATUS_INQUIRY_AND_SHARING = "status_inquiry_and_sharing"
    SANCTUARY_POLICIES = "sanctuary_policies"  # policies limiting cooperation, use of resources
    DMV_DATA = "dmv_data"
    ALPR = "alpr"
    STATE_DATABASES = "state_databases"
    PUBLIC_BENEFITS_AND_PERSONAL_DATA = "public_benefits_and_personal_data"


class Status(StrEnum):
    """Legal status of a provision as last checked. Dates decide when a provision applies."""

    IN_FORCE = "in_force"
    ENJOINED = "enjoined"  # blocked by a court from `status_since`
    NOT_YET_IN_FORCE = "not_yet_in_force"  # enacted; `effective_from` has not yet arrived
    SUPERSEDED = "superseded"  # replaced or repealed on `effective_to`
    UNCONFIRMED = "unconfirmed"  # reported enacted but enactment not confirmed: recorded, never applied


class Authority(StrEnum):
    """What kind of legal text a provision is. Persuasive kinds inform a ruling but never decide it."""

    CONSTITUTION = "constitution"
    STATUTE = "statute"
    REGULATION = "regulation"
    COURT_DECISION = "court_decision"  # binding on the courts below the deciding court
    EXECUTIVE_ORDER = "executive_order"  # an order or directive of a governor, mayor or president
    AGENCY_POLICY = "agency_policy"  # a binding policy of the agency itself
    SETTLEMENT = "settlement"  # a consent decree or settlement binding its parties
    AG_OPINION = "ag_opinion"  # an attorney-general opinion: persuasive only
    GUIDANCE = "guidance"  # advisory guidance or a model policy: persuasive only


PERSUASIVE = frozenset({Authority.AG_OPINION, Authority.GUIDANCE})
"""Authorities that are shown in a ruling's trace but never decide it."""


class Verification(StrEnum):
    """How well a provision has been checked, strongest first."""

    OFFICIAL_TEXT = "official_text"  # operative text read in an official or court source
    SECONDARY_SOURCE = "secondary_source"  # confirmed by a reliable secondary source
    PARTIAL = "partially_verified"  # existence and date confirmed, details not
    UNVERIFIED = "unverified"  # reported by one unreviewed source only


class ConditionKind(StrEnum):
    """A fact in the Context that an exception or condition tests."""

    LEGAL_PROCESS = "legal_process"  # the legal process is one of `values`
    PURPOSE = "purpose"  # the purpose is one of `values`
    RECIPIENT = "recipient"  # the recipient is one of `values`
    DATA = "data"  # the data kind is one of `values`
    LISTED_CONVICTION = "listed_conviction"  # the person has a conviction the law lists
    CONSENT = "consent"  # the person consented in writing
    WRITTEN_ASSURANCE = "written_assurance"  # the recipient gave the written declaration the law asks


VERIFICATION_RANK: dict[Verification, int] = {
    Verification.OFFICIAL_TEXT: 0,
    Verification.SECONDARY_SOURCE: 1,
    Verification.PARTIAL: 2,
    Verification.UNVERIFIED: 3,
}


def weakest(levels: Iterable[Verification]) -> Verification | None:
    """The least verified of `levels` (None for none): a ruling is only as sure as its weakest source."""
    return max(levels, key=VERIFICATION_RANK.__getitem__, default=None)


ENTER_287G_ACTIONS: dict[Model287g, Action] = {
    Model287g.JEM: Action.ENTER_287G_JEM,
    Model287g.TFM: Action.ENTER_287G_TFM,
    Model287g.WSO: Action.ENTER_287G_WSO,
}

PLATE_READER_ACTIONS = frozenset(
    {Action.SHARE_ALPR_FEDERAL, Action.SHARE_ALPR_OUT_OF_STATE, Action.SHARE_ALPR_IMMIGRATION}
)


@dataclass(frozen=True)
class ActionSpec:
    """What the engine assumes about an action when the question does not say: its topic (for the
    coverage notes), who usually takes it (the matrix's actor), the data it discloses, and the
    recipient or purpose it fixes by its nature (sharing plate reads out of state goes out of state)."""

    topic: Topic
    usual_actor: Actor
    data: DataKind | None = None
    recipient: Recipient | None = None
    purpose: Purpose | None = None


_ALPR = Topic.ALPR
_OPERATOR = Actor.PLATE_READER_OPERATOR
ACTIONS: dict[Action, ActionSpec] = {
    Action.HOLD_ON_DETAINER: ActionSpec(Topic.DETAINERS, Actor.SHERIFF),
    Action.TRANSFER_CUSTODY: ActionSpec(Topic.DETAINERS, Actor.SHERIFF),
    Action.NOTIFY_RELEASE: ActionSpec(Topic.RELEASE_NOTIFICATION, Actor.SHERIFF, DataKind.RELEASE_DATE),
    Action.GIVE_JAIL_ACCESS: ActionSpec(Topic.JAIL_ACCESS, Actor.SHERIFF),
    Action.ASK_STATUS: ActionSpec(Topic.STATUS_INQUIRY_AND_SHARING, Actor.LOCAL_POLICE),
    Action.SHARE_STATUS: ActionSpec(
        Topic.STATUS_INQUIRY_AND_SHARING, Actor.LOCAL_POLICE, DataKind.IMMIGRATION_STATUS
    ),
    Action.VERIFY_STATUS_AT_BOOKING: ActionSpec(Topic.STATUS_INQUIRY_AND_SHARING, Actor.SHERIFF),
    Action.ENTER_287G_JEM: ActionSpec(Topic.AGREEMENTS_287G, Actor.SHERIFF),
    Action.ENTER_287G_TFM: ActionSpec(Topic.AGREEMENTS_287G, Actor.SHERIFF),
    Action.ENTER_287G_WSO: ActionSpec(Topic.AGREEMENTS_287G, Actor.SHERIFF),
    Action.ENTER_287G_ANY: ActionSpec(Topic.AGREEMENTS_287G, Actor.SHERIFF),
    Action.DETENTION_CONTRACT: ActionSpec(Topic.AGREEMENTS_287G, Actor.LOCAL_GOVERNMENT),
    Action.SHARE_ALPR_FEDERAL: ActionSpec(_ALPR, _OPERATOR, DataKind.PLATE_READS, Recipient.FEDERAL),
    Action.SHARE_ALPR_OUT_OF_STATE: ActionSpec(
        _ALPR, _OPERATOR, DataKind.PLATE_READS, Recipient.OUT_OF_STATE
    ),
    Action.SHARE_ALPR_IMMIGRATION: ActionSpec(
        _ALPR, _OPERATOR, DataKind.PLATE_READS, purpose=Purpose.CIVIL_IMMIGRATION
    ),
    Action.DISCLOSE_DMV_RECORD: ActionSpec(Topic.DMV_DATA, Actor.DMV, DataKind.DMV_RECORD),
    Action.DISCLOSE_DMV_PHOTO: ActionSpec(Topic.DMV_DATA, Actor.DMV, DataKind.PHOTO),
    Action.SHARE_PERSONAL_INFO: ActionSpec(
        Topic.PUBLIC_BENEFITS_AND_PERSONAL_DATA, Actor.LOCAL_POLICE, DataKind.PERSONAL_INFO
    ),
    Action.GIVE_DATABASE_ACCESS: ActionSpec(Topic.STATE_DATABASES, Actor.LOCAL_POLICE),
    Action.USE_RESOURCES: ActionSpec(Topic.SANCTUARY_POLICIES, Actor.LOCAL_POLICE),
    Action.ADOPT_LIMITING_POLICY: ActionSpec(Topic.SANCTUARY_POLICIES, Actor.LOCAL_GOVERNMENT),
}
"""One entry per action (tests/law check it is complete); add an action here and its words in
labels.yaml."""

ACTION_TOPIC: dict[Action, Topic] = {a: spec.topic for a, spec in ACTIONS.items()}
ACTION_DATA: dict[Action, DataKind] = {a: spec.data for a, spec in ACTIONS.items() if spec.data is not None}
"""The data an action discloses when the context does not say."""
DEFAULT_ACTOR: dict[Action, Actor] = {a: spec.usual_actor for a, spec in ACTIONS.items()}
"""The actor a matrix cell asks about when none is given: who usually takes the action."""


def action_for_287g(model: Model287g | str) -> Action:
    """The ENTER_287G_* action for a 287(g) model (accepts the model or its value)."""
    return ENTER_287G_ACTIONS[Model287g(model)]


# Names a provision file may use in `actors:` for a group of actors.
ACTOR_GROUPS: dict[str, frozenset[Actor]] = {
    "law_enforcement": frozenset({Actor.SHERIFF, Actor.LOCAL_POLICE, Actor.STATE_POLICE, Actor.CORRECTIONS}),
    "local_law_enforcement": frozenset({Actor.SHERIFF, Actor.LOCAL_POLICE}),
    "state_and_local": frozenset(set(Actor) - {Actor.FEDERAL_AGENCY}),
}

# Names a provision file may use in `actions:` for a group of actions. (`enter_287g_any` is an action
# of its own: a duty to hold one agreement of any model is not a duty to hold each; see law.engine.)
ACTION_GROUPS: dict[str, frozenset[Action]] = {
    "share_alpr_any": PLATE_READER_ACTIONS,
}

JURISDICTIONS: tuple[str, ...] = law_jurisdictions()
"""The codes the law rules for: 'US' (the federal layer), the states and DC, and Puerto Rico (from the
one jurisdiction list, `sharemap.kb.jurisdictions`)."""
