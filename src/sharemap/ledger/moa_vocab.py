"""The vocabulary of terms read from 287(g) Memoranda of Agreement, with the patterns that find them.

Patterns were written against the text of the 18 signed MOAs in the reference set (JEM, TFM and WSO;
ICE's 2019–2020 and February 2025 templates). Many of those PDFs carry an OCR text layer, so the
patterns anchor on short, distinctive phrases, allow any whitespace between words (`\\s+`) and
accept the common OCR confusions seen there ("OHS" for "DHS", "1-213" for "I-213").

A clause's `value` is a plain-language summary of what the clause says; `{v}` in it is replaced by
the pattern's named group `v` (a number of hours, days, years...). The evidence is always the quoted
snippet and the page it was read from.

Form numbers in function labels (I-200, I-205, I-213, I-247A) come from this vocabulary: ICE's
"Warrant for Arrest of Alien" is Form I-200, its "Warrant of Removal/Deportation" Form I-205 and its
immigration detainer Form I-247A. The MOAs themselves name only I-213; the label says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from sharemap.kb.model import MoaCategory


@dataclass(frozen=True)
class Clause:
    category: MoaCategory
    term: str
    label: str
    pattern: str
    value: str


C = MoaCategory

# Authorised immigration functions. Searched only inside the MOA's list of authorised functions
# (Appendix A SOP in JEM and WSO agreements, section V in the 2025 TFM template).
FUNCTIONS: tuple[Clause, ...] = (
    Clause(
        C.FUNCTION,
        "interrogate_status",
        "Interrogate a person believed to be an alien about their right to be or remain in the U.S.",
        r"authority\s+to\s+interrogate",
        "authorised",
    ),
    Clause(
        C.FUNCTION,
        "arrest_without_warrant",
        "Arrest without a warrant in the field (alien likely to escape before a warrant is obtained)",
        r"arrest\s+without\s+a\s+warrant\s+any\s+alien",
        "authorised",
    ),
    Clause(
        C.FUNCTION,
        "arrest_felony_without_warrant",
        "Arrest without a warrant for immigration felonies",
        r"arrest\s+without\s+(?:a\s+)?warrant\s+for\s+felonies",
        "authorised",
    ),
    Clause(
        C.FUNCTION,
        "serve_arrest_warrant",
        "Serve and execute administrative warrants of arrest for immigration violations (Form I-200)",
        r"serve\s+and\s+execute\s+warrants\s+of\s*a\s*rrest",
        "authorised",
    ),
    Clause(
        C.FUNCTION,
        "serve_removal_warrant",
        "Serve warrants of removal (Form I-205)",
        r"serve\s+warrants\s+of\s+removal",
        "authorised",
    ),
    Clause(
        C.FUNCTION,
        "process_oaths_evidence",
        "Administer oaths, take evidence and process (fingerprint, photograph, interview, sworn statements)",
        r"administer\s+oaths",
        "authorised",
    ),
    Clause(
        C.FUNCTION,
        "prepare_charging_documents",
        "Prepare charging documents (Notice to Appear) for an ICE officer's signature",
        r"prepare\s+charging\s+documents",
        "authorised",
    ),
    Clause(
        C.FUNCTION,
        "issue_detainers",
        "Issue immigration detainers (8 C.F.R. 287.7; Form I-247A)",
        r"issue\s+immigration\s+detainers",
        "authorised",
    ),
    Clause(
        C.FUNCTION,
        "prepare_i213",
        "Prepare Form I-213, Record of Deportable/Inadmissible Alien (named in the MOA)",
        r"[Il1|]\s?-\s?213\b",
        "authorised",
    ),
    Clause(
        C.FUNCTION,
        "detain_transport",
        "Detain and transport arrested aliens to ICE-approved detention facilities",
        r"detain\s+and\s+transport|arrested\s+pursuant\s+to\s+the\s+immigration\s+laws\s+and\s+transport",
        "authorised",
    ),
    Clause(
        C.FUNCTION,
        "take_custody_for_ice",
        "Take and maintain custody of aliens arrested by ICE or by another agency on ICE's behalf",
        r"maintain\s+custody\s+of\s+aliens\s+arrested\s+by\s+ICE",
        "authorised",
    ),
)

FIELD_ARREST_FUNCTIONS = ("arrest_without_warrant", "arrest_felony_without_warrant")

# Where the list of authorised functions starts and ends.
FUNCTIONS_START = (
    r"delegated\s+only\s+those\s+authorities\s+listed|only\s+delegated\s+the\s+two\s+authorities"
    r"|authorized\s+to\s+perform\s+the\s+following\s+functions"
)
FUNCTIONS_END = r"Additional\s+Supervisory|RESOLUTION\s+OF\s+LOCAL\s+CHARGES|APPENDIX\s*B\b"

CLAUSES: tuple[Clause, ...] = (
    # --- custody -------------------------------------------------------------------------------
    Clause(
        C.CUSTODY,
        "ice_custody_after_release",
        "When ICE takes custody",
        r"ICE\s+will\s+assume\s+custody\s+of\s+an\s+alien\s+only\s+after"
        r"|ICE\s+may\s+assume\s+custody\s+of\s+aliens\s+who\s+have\s+been\s+convicted",
        "ICE assumes custody only after release from LEA criminal custody or end of sentence",
    ),
    Clause(
        C.CUSTODY,
        "hold_after_transfer_hours",
        "Maximum hold in the LEA facility after custody passes to ICE",
        r"no\s+more\s+than\s+(?P<v>\d+)\s+hours",
        "Held in the LEA jail no more than {v} hours unless a separate detention agreement exists",
    ),
    Clause(
        C.CUSTODY,
        "same_day_transport",
        "Transport to ICE",
        r"transported\s+by\s+the\s+\w+\s+on\s+the\s+same\s+day",
        "Aliens arrested on ICE's behalf are transported by the LEA to ICE on the same day",
    ),
    # --- personnel and training ------------------------------------------------------------------
    Clause(
        C.PERSONNEL_TRAINING,
        "candidates_us_citizens",
        "Candidate citizenship",
        r"candidates\s+must\s+be\s+United\s+States\s+citizens",
        "Candidates must be U.S. citizens",
    ),
    Clause(
        C.PERSONNEL_TRAINING,
        "candidate_experience",
        "Candidate experience",
        r"at\s+least\s+(?P<v>\w+)\s+years?\s+of\s+\w+\s+work\s+experience",
        "At least {v} years of law-enforcement work experience",
    ),
    Clause(
        C.PERSONNEL_TRAINING,
        "background_check",
        "Background check of candidates",
        r"ICE\s+will\s+conduct\s+a\s+background\s+investigation"
        r"|conduct\s+an\s+independent\s+background\s+check"
        r"|information\s+necessary\s+for\s+a\s+background\s+check",
        "ICE checks the background of each candidate",
    ),
    Clause(
        C.PERSONNEL_TRAINING,
        "disciplinary_records_access",
        "ICE access to officers' disciplinary records",
        r"continuous\s+access\s+to\s+disciplinary\s+records",
        "On ICE's request the LEA gives continuous access to candidates' disciplinary records",
    ),
    Clause(
        C.PERSONNEL_TRAINING,
        "training_by_ice",
        "Who trains",
        r"training\s+provided\s+by\s+ICE|provided\s+by\s+ICE\s+instructors|taught\s+by\s+ICE\s+instructors"
        r"|ICE\s+will\s+provide\s+participating\s+\w+\s+personnel\s+with\s+the\s+mandatory\s+training",
        "Mandatory training by ICE before any authorisation",
    ),
    Clause(
        C.PERSONNEL_TRAINING,
        "training_duration",
        "Length of initial training",
        r"(?P<v>\d+|one|two|three|four|five|six|eight|ten|forty)[\s-]+(?:hours?|weeks?|days?)\s+"
        r"(?:of\s+)?(?:initial\s+|basic\s+|mandatory\s+)?training",
        "Initial training lasts {v}",
    ),
    Clause(
        C.PERSONNEL_TRAINING,
        "training_format",
        "Training format",
        r"in-person\s+and\s+online",
        "Training may be given in person or online (recorded or virtual meeting)",
    ),
    Clause(
        C.PERSONNEL_TRAINING,
        "training_pass_score",
        "Examination pass mark",
        r"minimum\s+score\s+of\s*(?P<v>\d+)",
        "Nominees must score at least {v} percent on the examinations",
    ),
    # Three templates, three wordings of the same term: the first that matches is kept.
    Clause(
        C.PERSONNEL_TRAINING,
        "training_refresher",
        "Refresher training",
        r"refresher\s+training[^.]{0,80}?every\s+(?P<v>\w+)\s+years",
        "Refresher training as needed, but not more often than every {v} years",
    ),
    Clause(
        C.PERSONNEL_TRAINING,
        "training_refresher",
        "Refresher training",
        r"Approximately\s+one\s+year\s+after[^.]{0,160}?additional\s+updated\s+training",
        "ICE may give updated training about one year after certification; local training ongoing",
    ),
    Clause(
        C.PERSONNEL_TRAINING,
        "training_refresher",
        "Refresher training",
        r"review\s+the\s+training\s+requirements\s+annually",
        "ICE reviews the training requirements annually and may require additional training",
    ),
    Clause(
        C.PERSONNEL_TRAINING,
        "written_authorization",
        "Written authorisation",
        r"signed\s+authorization",
        "ICE gives each certified officer a signed authorisation to perform the functions",
    ),
    Clause(
        C.PERSONNEL_TRAINING,
        "credentials",
        "Credentials",
        r"official\s+immigration\s+officer\s+credentials",
        "ICE issues official immigration officer credentials (ICE property, returned on termination)",
    ),
    Clause(
        C.PERSONNEL_TRAINING,
        "authorization_period",
        "Length of an officer's authorisation",
        r"initial\s+period\s+of\s+(?P<v>\w+)\s+years",
        "Authorisation for an initial period of {v} years",
    ),
    Clause(
        C.PERSONNEL_TRAINING,
        "authorization_revocable",
        "Revocation of an officer's authorisation",
        r"(?:revoked|withdrawn)\s+at\s+any\s+time",
        "An officer's authorisation may be revoked or withdrawn at any time",
    ),
    # --- supervision -------------------------------------------------------------------------------
    Clause(
        C.SUPERVISION,
        "ice_supervision",
        "Who supervises immigration functions",
        r"supervised\s+and\s+directed\s+by\s+ICE",
        "Immigration enforcement activities are supervised and directed by ICE",
    ),
    Clause(
        C.SUPERVISION,
        "lea_retains_supervision",
        "LEA supervision",
        r"retains\s+supervision\s+of\s+all\s+other\s+aspects",
        "The LEA supervises all other aspects of its officers' employment and duties",
    ),
    Clause(
        C.SUPERVISION,
        "ice_reviews_actions",
        "Review of officers' actions",
        r"reviewed\s+by\s+(?:the\s+)?ICE\s+(?:supervisory\s+)?officers\s+on\s+an\s+ongoing\s+basis",
        "ICE officers review participating officers' actions on an ongoing basis",
    ),
    Clause(
        C.SUPERVISION,
        "ice_policies_apply",
        "Policies that apply",
        r"shall\s+be\s+[DO]HS\s+and\s+ICE\s+policies",
        "DHS and ICE policies and procedures govern the delegated authority",
    ),
    Clause(
        C.SUPERVISION,
        "field_contact_supervisor",
        "Supervision in the field",
        r"contact\s+an\s+ICE\s+supervisor\s+at\s+the\s+time",
        "In the field, officers contact an ICE supervisor when exercising the authority",
    ),
    Clause(
        C.SUPERVISION,
        "task_force_assignment",
        "Assignment to ICE units",
        r"assigned\s+to\s+various\s+units,?\s+teams,?\s+or\s+task\s+forces"
        r"|co-?\s*located\s+with\s+ICE\s+as\s+task\s+force\s+officers",
        "Officers may be assigned to ICE units or task forces, or co-located with ICE",
    ),
    # --- reporting: information that flows to ICE -------------------------------------------------
    Clause(
        C.REPORTING,
        "detainer_notice_hours",
        "Notice to ICE of detainers issued",
        r"notify\s+ICE\s+of\s+any\s+immigration\s+detainer[^.]{0,120}?approximately\s+(?P<v>\d+)\s+hours",
        "Officers notify ICE of every detainer they issue within about {v} hours",
    ),
    Clause(
        C.REPORTING,
        "citizenship_claims_report",
        "U.S. citizenship claims",
        r"claims\s+of\s+U\.?\s?S\.?\s+citizenship\s+to\s+ICE\s+immediately",
        "Asserted or suspected U.S. citizenship claims go to ICE immediately (generally within an hour)",
    ),
    Clause(
        C.REPORTING,
        "warrant_service_notice",
        "Notice to ICE after serving a warrant",
        r"notification\s+to\s+the\s+ICE\s+officer\s+immediately\s+after",
        "The LEA notifies ICE immediately after serving a warrant of arrest or removal",
    ),
    Clause(
        C.REPORTING,
        "record_checks",
        "Record checks",
        r"ensuring\s+proper\s+record\s*ch",
        "Participating officers ensure proper record checks are completed",
    ),
    Clause(
        C.REPORTING,
        "statistics_to_ice",
        "Program data and statistics",
        r"tracking\s+and\s+maintaining\s+accurate\s+data\s+and\s+statistical",
        "The LEA tracks 287(g) data and statistics and gives them to ICE on request",
    ),
    Clause(
        C.REPORTING,
        "deconfliction_with_ice",
        "Deconfliction with ICE before enforcement",
        r"deconflict\s+all\s+addresses",
        "Before acting, the LEA deconflicts addresses, phone numbers and identities with ICE HSI/ERO",
    ),
    Clause(
        C.REPORTING,
        "federal_review_access",
        "Access for federal investigations and reviews",
        r"providing\s+access\s+to\s+appropriate\s+databases",
        "The LEA gives federal investigators access to its databases, personnel and documents",
    ),
    # --- records and data -----------------------------------------------------------------------
    Clause(
        C.RECORDS_DATA,
        "privacy_act",
        "Privacy Act",
        r"Privacy\s+Act\s+of\s+1974",
        "Each party is responsible for complying with the Privacy Act of 1974 and DHS's regulations",
    ),
    Clause(
        C.RECORDS_DATA,
        "dhs_ice_systems_access",
        "Access to DHS and ICE systems",
        r"[DO]HS\s+and\s+ICE\s+databases\s*/\s*systems",
        "Officers must qualify for access to DHS and ICE databases/systems",
    ),
    Clause(
        C.RECORDS_DATA,
        "ice_it_network",
        "ICE network and equipment",
        r"Interconnection\s+Security\s+Agreement",
        "ICE-provided network access and equipment under an Interconnection Security Agreement (DHS 4300A)",
    ),
    Clause(
        C.RECORDS_DATA,
        "candidate_database_queries",
        "Database checks on candidates",
        r"query\s+any\s+and\s+all\s+national\s+and\s+international",
        "ICE may query national and international law-enforcement databases about candidates",
    ),
    Clause(
        C.RECORDS_DATA,
        "a_files_federal_records",
        "A-files",
        r"A-files\)?\s+are\s+Federal\s+records",
        "A-files are Federal records (Federal Records Act) handled under DHS/ICE policy",
    ),
    Clause(
        C.RECORDS_DATA,
        "records_retention",
        "Records retention",
        r"retention\s+(?:of\s+)?(?:records|schedule|period)|records\s+retention",
        "Records retention: {snippet}",
    ),
    Clause(
        C.RECORDS_DATA,
        "information_under_ice_control",
        "Control of information",
        r"under\s+the\s+control\s+of\s*ICE",
        "Information obtained or developed under the MOA is under ICE's control",
    ),
    Clause(
        C.RECORDS_DATA,
        "release_coordination",
        "Release of information",
        r"coordinate\s+with\s+ICE\s+prior\s+to\s+releasing",
        "The LEA coordinates with ICE (Public Affairs, Privacy Office) before releasing information",
    ),
    Clause(
        C.RECORDS_DATA,
        "state_public_records",
        "State public records laws",
        r"state\s+public\s+records\s+laws",
        "State public records laws still apply to records that are solely state records",
    ),
    Clause(
        C.RECORDS_DATA,
        "foia",
        "Freedom of Information Act",
        r"Freedom\s+of\s+Information|\bFOIA\b",
        "Freedom of Information Act: {snippet}",
    ),
    Clause(
        C.RECORDS_DATA,
        "moa_copy_public",
        "Public copy of the MOA",
        r"provide\s+a\s+copy\s+of\s+this\s+MOA",
        "ICE gives a copy of the signed MOA to requesting media; the LEA may do the same",
    ),
    Clause(
        C.RECORDS_DATA,
        "interpreter_named_in_records",
        "Interpreter in records",
        r"interpreter\s+must\s+be\s+identified,?\s+by\s+name",
        "An interpreter used is named on the warrant",
    ),
    # --- duration and termination ----------------------------------------------------------------
    Clause(
        C.DURATION_TERMINATION,
        "effective_on_signature",
        "Effective date",
        r"effective\s+upon\s+signature\s+of\s+both\s+parties",
        "Effective when both parties have signed; in force until terminated or suspended",
    ),
    Clause(
        C.DURATION_TERMINATION,
        "effective_date_stated",
        "Effective date stated",
        r"effective\s+on\s+(?P<v>[A-Z][a-z]+\s+\d{1,2},\s+\d{4})",
        "Stated as effective on {v}",
    ),
    Clause(
        C.DURATION_TERMINATION,
        "termination_notice_days",
        "Termination notice (either party)",
        r"upon\s+(?P<v>\d+)\s*-\s*day\s+written\s+notice\s+to\s+the\s+other\s+party",
        "Either party may terminate or suspend on {v} days' written notice",
    ),
    Clause(
        C.DURATION_TERMINATION,
        "lea_termination_in_writing",
        "Termination by the LEA",
        r"Termination\s+by\s+the\s+\w+\s+shall\s+be\s+pr\S*vided,?\s+in\s+writing",
        "The LEA terminates by writing to the local ICE Field Office",
    ),
    Clause(
        C.DURATION_TERMINATION,
        "ice_termination_notice_days",
        "Termination notice from ICE after suspension",
        r"ICE\s+will\s+provide\s+the\s+\w+\s+a\s+(?P<v>\d+)\s*-\s*day\s+notice",
        "ICE gives {v} days' notice before terminating",
    ),
    Clause(
        C.DURATION_TERMINATION,
        "termination_published_days",
        "Publication of termination",
        r"published\s+on\s+ICE\S{0,3}\s+website\s+(?P<v>\d+)\s+days",
        "ICE publishes a termination decision on its website {v} days in advance",
    ),
    Clause(
        C.DURATION_TERMINATION,
        "immediate_suspension",
        "Suspension",
        r"elect\s+to\s+immediately\s+suspend",
        "The ICE Director may suspend the MOA immediately for serious misconduct or violations",
    ),
    Clause(
        C.DURATION_TERMINATION,
        "internal_review_years",
        "Periodic ICE review",
        r"internal\s+review\s+of\s+this\s+MOA\s+every\s+(?P<v>\w+)\s+years",
        "ICE may review the MOA internally every {v} years",
    ),
    Clause(
        C.DURATION_TERMINATION,
        "personnel_exit_notice_days",
        "Notice when officers leave the program",
        r"provide\s+ICE\s+with\s+a\s+(?P<v>\d+)\s*-?\s*day\s+notice\s+if",
        "The LEA tries to give ICE {v} days' notice when participating officers leave",
    ),
    Clause(
        C.DURATION_TERMINATION,
        "modifications_in_writing",
        "Modifications",
        r"Modifications?\s+(?:to|of)\s+this\s+MOA[^.]{0,40}?must\s+be\s+proposed\s+in\s+writing",
        "Modifications must be proposed in writing and approved by both parties",
    ),
    Clause(
        C.DURATION_TERMINATION,
        "addendum",
        "Addendum",
        r"ADDENDUM\s+TO\s+MODIFY",
        "An addendum modifying the MOA is attached",
    ),
    # --- costs -------------------------------------------------------------------------------------
    Clause(
        C.COSTS,
        "lea_personnel_costs",
        "LEA personnel costs",
        r"responsible\s+for\s+personnel\s+expenses|at\s+the\s+LEA\S{0,3}\s+expense",
        "The LEA pays its officers' salaries, benefits (including overtime), local transport and issue",
    ),
    Clause(
        C.COSTS,
        "ice_pays_training_travel",
        "Training travel paid by ICE",
        r"ICE\s+is\s+responsible\s+for\s+the\s+costs\s+of\s+the\s+\w+\s+personnel\S{0,3}\s+travel",
        "ICE pays trainees' travel, housing and per diem",
    ),
    Clause(
        C.COSTS,
        "lea_pays_training_travel",
        "Training travel paid by the LEA",
        r"will\s+cover\s+the\s+costs\s+of\s+all\s+\w+\s+personnel\S{0,3}\s+travel",
        "The LEA pays its trainees' travel, housing and per diem",
    ),
    Clause(
        C.COSTS,
        "ice_may_reimburse_travel",
        "Possible reimbursement of training travel",
        r"travel\s+orders\s+to\s+selected\s+personnel\s+and\s+reimburse",
        "ICE may issue travel orders and reimburse travel, housing and per diem",
    ),
    Clause(
        C.COSTS,
        "ice_provides_instructors",
        "Instructors and training materials",
        r"ICE\s+will\s+provide\s+instructors\s+and\s+training\s+materials",
        "ICE provides instructors and training materials",
    ),
    Clause(
        C.COSTS,
        "ice_pays_own_personnel",
        "ICE personnel costs",
        r"ICE\s+is\s+responsible\s+for\s+the\s+salaries\s+and\s+benefits\s+of\s+all",
        "ICE pays its own personnel, including instructors and supervisors",
    ),
    Clause(
        C.COSTS,
        "ice_it_infrastructure",
        "IT infrastructure",
        r"ICE\s+is\s+responsible\s+for\s+the\s+installation\s+and\s+maintenance",
        "ICE installs and maintains the IT infrastructure",
    ),
    Clause(
        C.COSTS,
        "lea_supplies_equipment",
        "Supplies and equipment",
        r"responsible\s+for\s+providing\s+all\s+administrative\s+supplies",
        "The LEA provides office supplies and security equipment (handcuffs, leg restraints)",
    ),
    Clause(
        C.COSTS,
        "detention_reimbursable_fee",
        "Detention for a fee",
        r"for\s+a\s+reimbursable\s+fee",
        "Longer detention only under a separate agreement for a reimbursable fee",
    ),
    Clause(
        C.COSTS,
        "federal_grant_reimbursement",
        "Federal grants",
        r"financial\s+reimbursement\s+for\s+such\s+costs",
        "Whether the LEA is reimbursed through a federal grant is not material to the MOA",
    ),
    Clause(
        C.COSTS,
        "liability_costs",
        "Liability costs",
        r"bear\s+the\s+costs\s+of\s+participating",
        "The LEA bears its officers' personal costs from death, injury or liability incidents",
    ),
    # --- oversight: meetings, steering committee, complaints ------------------------------------
    Clause(
        C.OVERSIGHT,
        "steering_committee",
        "Steering committee",
        r"Steering\s+Committee",
        "The LEA takes part in Steering Committee meetings (as necessary)",
    ),
    Clause(
        C.OVERSIGHT,
        "annual_meeting",
        "Compliance meetings",
        r"meet\s+at\s+least\s+annually",
        "ICE's Field Office Director and the LEA meet at least annually",
    ),
    Clause(
        C.OVERSIGHT,
        "initial_review_meeting",
        "Initial review meeting",
        r"initial\s+review\s+meeting",
        "An initial ICE–LEA review meeting about 12 months after start",
    ),
    Clause(
        C.OVERSIGHT,
        "complaint_procedure",
        "Complaint procedure",
        r"APPENDIX\s*B\s+COMPLAINT\s+PROCEDURE",
        "Complaint reporting and resolution procedure (Appendix B)",
    ),
    Clause(
        C.OVERSIGHT,
        "complaint_notice_to_ice_hours",
        "Complaints reported to ICE",
        r"notification\s+to\s+an\s+ICE\s+officer\s+within\s+(?P<v>\d+)\s+hours",
        "The LEA tells ICE of complaints against participating officers within {v} hours",
    ),
    Clause(
        C.OVERSIGHT,
        "complaint_notice_to_ice",
        "Complaints reported to ICE",
        r"make\s+timely\s+notification\s+to\s+ICE\b",
        "The LEA makes timely notification to ICE of complaints against participating officers",
    ),
    Clause(
        C.OVERSIGHT,
        "complaint_removal_from_program",
        "Officers under complaint",
        r"remove\s+the\s+designated\s+\w+\s+personnel\s+from\s+the\s+program",
        "Officers facing a complaint are removed from the program until it is adjudicated",
    ),
    Clause(
        C.OVERSIGHT,
        "complaint_resolution_days",
        "Complaint resolution time",
        r"resolved\s+within\s+(?P<v>\d+)\s+days",
        "Complaints are expected to be resolved within {v} days",
    ),
    Clause(
        C.OVERSIGHT,
        "complaint_channel",
        "Where to complain",
        r"(?P<v>Joint\s+Intake\s+Center|ICEOPRIntake@ice\.dhs\.gov)",
        "Complaints go to ICE's Office of Professional Responsibility via {v}",
    ),
    Clause(
        C.OVERSIGHT,
        "complaint_posters",
        "Complaint posters",
        r"Complaint\s+Process\s+posters",
        "Complaint-process posters displayed in English and Spanish",
    ),
    Clause(
        C.OVERSIGHT,
        "civil_rights_standards",
        "Civil rights",
        r"CIVIL\s+RIGHTS\s+STANDARDS",
        "Participating officers are bound by federal civil-rights laws",
    ),
    Clause(
        C.OVERSIGHT,
        "no_private_rights",
        "Rights of individuals",
        r"relied\s+upon\s+to\s+create\s+any\s+rights",
        "The MOA creates no rights enforceable by any person",
    ),
)

# Systems named in an MOA (matched case-sensitively, as whole words).
SYSTEMS: tuple[tuple[str, str], ...] = (
    ("TECS II", r"\bTECS\s*(?:II)?\b"),
    ("ENFORCE", r"\bENFORCE\b"),
    ("EARM", r"\bEARM\b"),
    ("EID", r"\bEID\b"),
    ("IDENT", r"\bIDENT\b"),
    ("EAGLE", r"\bEAGLE\b"),
    ("NCIC", r"\bNCIC\b"),
    ("Nlets", r"\b(?:Nlets|NLETS)\b"),
    ("IAFIS", r"\bIAFIS\b"),
    ("NGI", r"\bNGI\b"),
    ("LESC", r"\bLESC\b"),
    ("PLAnet", r"\bPLAnet\b"),
)
