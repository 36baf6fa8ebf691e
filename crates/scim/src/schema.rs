//! The schemas Roster serves (RFC 7643 §7): each attribute with its type,
//! plurality, case rule, mutability and when it is returned. The same
//! definitions answer `/Schemas`, canonicalize what clients send, resolve
//! paths and drive the filter evaluator, so what `/Schemas` says is what
//! the code does.

use std::borrow::Cow;

use serde_json::{json, Map, Value};

pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// Roster's own extension: role, seat type and the organization's custom
/// fields. Entra ID maps custom attributes only under this URN form.
pub const ROSTER_USER: &str = "urn:ietf:params:scim:schemas:extension:roster:2.0:User";
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const SEARCH_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
pub const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const SERVICE_PROVIDER_CONFIG: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
pub const RESOURCE_TYPE: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
pub const SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Boolean,
    Decimal,
    Integer,
    DateTime,
    /// A URI or a resource's location; the resource types it may name.
    Reference(&'static [&'static str]),
    Complex,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Boolean => "boolean",
            Self::Decimal => "decimal",
            Self::Integer => "integer",
            Self::DateTime => "dateTime",
            Self::Reference(_) => "reference",
            Self::Complex => "complex",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    Always,
    Never,
    Default,
    Request,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uniqueness {
    None,
    Server,
    Global,
}

/// One attribute of a schema.
#[derive(Debug, Clone)]
pub struct Attr {
    pub name: Cow<'static, str>,
    pub kind: Kind,
    pub multi: bool,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    pub returned: Returned,
    pub uniqueness: Uniqueness,
    pub canonical: Vec<String>,
    pub description: Cow<'static, str>,
    pub sub: Vec<Attr>,
    /// Text that may hold line breaks (a formatted address, a custom text
    /// field); everywhere else a line break is refused.
    pub lines: bool,
}

impl Attr {
    fn new(name: impl Into<Cow<'static, str>>, kind: Kind, description: impl Into<Cow<'static, str>>) -> Self {
        Self {
            name: name.into(),
            kind,
            multi: false,
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            canonical: Vec::new(),
            description: description.into(),
            sub: Vec::new(),
            lines: false,
        }
    }

    pub fn lines(mut self) -> Self {
        self.lines = true;
        self
    }

    pub fn string(name: impl Into<Cow<'static, str>>, description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(name, Kind::String, description)
    }

    pub fn boolean(name: impl Into<Cow<'static, str>>, description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(name, Kind::Boolean, description)
    }

    pub fn decimal(name: impl Into<Cow<'static, str>>, description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(name, Kind::Decimal, description)
    }

    pub fn complex(name: &'static str, description: &'static str, sub: Vec<Attr>) -> Self {
        Self {
            sub,
            ..Self::new(name, Kind::Complex, description)
        }
    }

    pub fn reference(name: &'static str, types: &'static [&'static str], description: &'static str) -> Self {
        Self {
            case_exact: true,
            ..Self::new(name, Kind::Reference(types), description)
        }
    }

    pub fn multi(mut self) -> Self {
        self.multi = true;
        self
    }

    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    pub fn case_exact(mut self) -> Self {
        self.case_exact = true;
        self
    }

    pub fn read_only(mut self) -> Self {
        self.mutability = Mutability::ReadOnly;
        self
    }

    pub fn unique(mut self) -> Self {
        self.uniqueness = Uniqueness::Server;
        self
    }

    pub fn canonical(mut self, values: &[&str]) -> Self {
        self.canonical = values.iter().map(|v| (*v).to_owned()).collect();
        self
    }

    pub fn canonical_owned(mut self, values: Vec<String>) -> Self {
        self.canonical = values;
        self
    }

    /// The sub-attribute `name`, matched without regard to case.
    pub fn sub_attr(&self, name: &str) -> Option<&Attr> {
        self.sub.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }

    pub fn writable(&self) -> bool {
        matches!(self.mutability, Mutability::ReadWrite | Mutability::WriteOnly)
    }

    /// RFC 7643 §7's representation.
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("name".into(), json!(self.name));
        out.insert("type".into(), json!(self.kind.as_str()));
        out.insert("multiValued".into(), json!(self.multi));
        out.insert("description".into(), json!(self.description));
        out.insert("required".into(), json!(self.required));
        if self.kind != Kind::Complex && self.kind != Kind::Boolean {
            out.insert("caseExact".into(), json!(self.case_exact));
        }
        if !self.canonical.is_empty() {
            out.insert("canonicalValues".into(), json!(self.canonical));
        }
        out.insert(
            "mutability".into(),
            json!(match self.mutability {
                Mutability::ReadOnly => "readOnly",
                Mutability::ReadWrite => "readWrite",
                Mutability::Immutable => "immutable",
                Mutability::WriteOnly => "writeOnly",
            }),
        );
        out.insert(
            "returned".into(),
            json!(match self.returned {
                Returned::Always => "always",
                Returned::Never => "never",
                Returned::Default => "default",
                Returned::Request => "request",
            }),
        );
        out.insert(
            "uniqueness".into(),
            json!(match self.uniqueness {
                Uniqueness::None => "none",
                Uniqueness::Server => "server",
                Uniqueness::Global => "global",
            }),
        );
        if let Kind::Reference(types) = self.kind {
            out.insert("referenceTypes".into(), json!(types));
        }
        if !self.sub.is_empty() {
            out.insert(
                "subAttributes".into(),
                Value::Array(self.sub.iter().map(Attr::to_json).collect()),
            );
        }
        Value::Object(out)
    }
}

/// A schema: an id (URN), a name and its attributes.
#[derive(Debug, Clone)]
pub struct Schema {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub attributes: Vec<Attr>,
}

impl Schema {
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attributes.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }

    pub fn to_json(&self, base_url: &str) -> Value {
        json!({
            "schemas": [SCHEMA],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": self.attributes.iter().map(Attr::to_json).collect::<Vec<_>>(),
            "meta": {
                "resourceType": "Schema",
                "location": format!("{base_url}/Schemas/{}", self.id),
            },
        })
    }
}

/// A resource type: its core schema and its extensions.
#[derive(Debug, Clone)]
pub struct Resource {
    pub name: &'static str,
    pub endpoint: &'static str,
    pub description: &'static str,
    pub core: Schema,
    pub extensions: Vec<Schema>,
}

impl Resource {
    /// The schema with this URN (core or extension), matched without case.
    pub fn schema(&self, urn: &str) -> Option<&Schema> {
        std::iter::once(&self.core)
            .chain(&self.extensions)
            .find(|s| s.id.eq_ignore_ascii_case(urn))
    }

    pub fn extension(&self, urn: &str) -> Option<&Schema> {
        self.extensions.iter().find(|s| s.id.eq_ignore_ascii_case(urn))
    }

    pub fn resource_type_json(&self, base_url: &str) -> Value {
        json!({
            "schemas": [RESOURCE_TYPE],
            "id": self.name,
            "name": self.name,
            "endpoint": self.endpoint,
            "description": self.description,
            "schema": self.core.id,
            "schemaExtensions": self.extensions.iter()
                .map(|s| json!({"schema": s.id, "required": false}))
                .collect::<Vec<_>>(),
            "meta": {
                "resourceType": "ResourceType",
                "location": format!("{base_url}/ResourceTypes/{}", self.name),
            },
        })
    }
}

/// The attributes every resource has (RFC 7643 §3.1), which schemas do not list.
pub fn common_attr(name: &str) -> Option<Attr> {
    if name.eq_ignore_ascii_case("id") {
        let mut id = Attr::string("id", "The resource's id, given by Roster.")
            .case_exact()
            .read_only();
        id.returned = Returned::Always;
        id.uniqueness = Uniqueness::Server;
        return Some(id);
    }
    if name.eq_ignore_ascii_case("externalId") {
        return Some(Attr::string("externalId", "The client's identifier of the resource.").case_exact());
    }
    if name.eq_ignore_ascii_case("meta") {
        let mut meta = Attr::complex(
            "meta",
            "Resource metadata.",
            vec![
                Attr::string("resourceType", "The resource's type.")
                    .case_exact()
                    .read_only(),
                Attr::new("created", Kind::DateTime, "When the resource was added.").read_only(),
                Attr::new("lastModified", Kind::DateTime, "When the resource last changed.").read_only(),
                Attr::reference("location", &["uri"], "The resource's URI.").read_only(),
                Attr::string("version", "The resource's version (a weak entity tag).")
                    .case_exact()
                    .read_only(),
            ],
        )
        .read_only();
        meta.returned = Returned::Default;
        return Some(meta);
    }
    None
}

fn multi_valued(name: &'static str, description: &'static str, value: Attr, types: &[&str], extra: Vec<Attr>) -> Attr {
    let mut sub = vec![
        value,
        Attr::string("display", "A human-readable name, primarily used for display purposes."),
        Attr::string("type", "A label indicating the attribute's function.").canonical(types),
        Attr::boolean("primary", "Whether this is the primary value; at most one is."),
    ];
    sub.extend(extra);
    Attr::complex(name, description, sub).multi()
}

/// The core User schema as Roster keeps it. `emails` is required here
/// (Roster needs an address to invite a person); a user without one is
/// accepted when its `userName` is an e-mail address (Entra ID's
/// userPrincipalName), which then becomes the member's e-mail.
pub fn user_schema() -> Schema {
    let name = Attr::complex(
        "name",
        "The components of the user's name.",
        vec![
            Attr::string("formatted", "The full name, as it is displayed."),
            Attr::string("familyName", "The family name (the member's last name)."),
            Attr::string("givenName", "The given name (the member's first name)."),
            Attr::string("middleName", "The middle name(s)."),
            Attr::string("honorificPrefix", "The honorific prefix(es), e.g. 'Ms.'."),
            Attr::string("honorificSuffix", "The honorific suffix(es), e.g. 'III'."),
        ],
    );
    let emails = multi_valued(
        "emails",
        "E-mail addresses. The primary one (or else the work one, or else the first) is the member's e-mail.",
        Attr::string("value", "An e-mail address.").required(),
        &["work", "home", "other"],
        vec![],
    )
    .required();
    let phones = multi_valued(
        "phoneNumbers",
        "Phone numbers. The primary one (or else the work one, or else the first) is the member's phone.",
        Attr::string("value", "A phone number.").required(),
        &["work", "home", "mobile", "fax", "pager", "other"],
        vec![],
    );
    let ims = multi_valued(
        "ims",
        "Instant messaging addresses.",
        Attr::string("value", "An instant messaging address.").required(),
        &["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"],
        vec![],
    );
    let photos = multi_valued(
        "photos",
        "URLs of photos of the user.",
        Attr::reference("value", &["external"], "A photo's URL.").required(),
        &["photo", "thumbnail"],
        vec![],
    );
    let addresses = Attr::complex(
        "addresses",
        "Physical mailing addresses.",
        vec![
            Attr::string("formatted", "The full address, as it is displayed; it may span lines.").lines(),
            Attr::string("streetAddress", "The street address."),
            Attr::string("locality", "The city or locality."),
            Attr::string("region", "The state or region."),
            Attr::string("postalCode", "The zip or postal code."),
            Attr::string("country", "The country."),
            Attr::string("type", "A label indicating the address's function.").canonical(&["work", "home", "other"]),
            Attr::boolean("primary", "Whether this is the primary address; at most one is."),
        ],
    )
    .multi();
    let groups = Attr::complex(
        "groups",
        "The directory groups (Roster teams from the identity provider) the user belongs to.",
        vec![
            Attr::string("value", "The group's id.").read_only(),
            Attr::reference("$ref", &["Group"], "The group's URI.").read_only(),
            Attr::string("display", "The group's name.").read_only(),
            Attr::string("type", "How the user belongs to the group.")
                .canonical(&["direct"])
                .read_only(),
        ],
    )
    .multi()
    .read_only();
    let mut active = Attr::boolean(
        "active",
        "false: the member is deactivated (no sign-in, seat freed, profile, teams and content kept). Absent on creation: true.",
    )
    .required();
    active.returned = Returned::Default;
    Schema {
        id: USER,
        name: "User",
        description: "A member of the organization.",
        attributes: vec![
            Attr::string(
                "userName",
                "The user's unique name at the identity provider (Entra ID sends the userPrincipalName). Unique without regard to case.",
            )
            .required()
            .unique(),
            name,
            Attr::string("displayName", "The name of the user, suitable for display."),
            Attr::string("nickName", "The casual way to address the user."),
            Attr::reference("profileUrl", &["external"], "A URL of the user's online profile."),
            Attr::string("title", "The user's title, such as 'Vice President'."),
            Attr::string("userType", "The relationship between the organization and the user."),
            Attr::string("preferredLanguage", "The user's preferred written or spoken language."),
            Attr::string("locale", "The user's default location for localization."),
            Attr::string("timezone", "The user's time zone (IANA)."),
            active,
            emails,
            phones,
            ims,
            photos,
            addresses,
            groups,
        ],
    }
}

pub fn enterprise_schema() -> Schema {
    let manager = Attr::complex(
        "manager",
        "The user's manager. Entra ID sends the manager's id as a plain string; it is kept as value.",
        vec![
            Attr::string("value", "The id of the manager's user.").case_exact(),
            Attr::reference("$ref", &["User"], "The URI of the manager's user."),
        ],
    );
    Schema {
        id: ENTERPRISE_USER,
        name: "EnterpriseUser",
        description: "Enterprise user (RFC 7643 §4.3).",
        attributes: vec![
            Attr::string(
                "employeeNumber",
                "The member's personal id. Without it, the personal id is the member's e-mail.",
            ),
            Attr::string("costCenter", "The name of a cost center."),
            Attr::string("organization", "The name of an organization."),
            Attr::string("division", "The name of a division."),
            Attr::string("department", "The member's department."),
            manager,
        ],
    }
}

/// A custom field of the organization, as the Roster extension lists it.
#[derive(Debug, Clone)]
pub struct CustomFieldAttr {
    pub key: String,
    pub label: String,
    /// `text`, `number`, `date`, `yes_no` or `choice`.
    pub kind: String,
    pub choices: Vec<String>,
}

/// Roster's extension: the member's role and seat type, and each custom
/// field of the organization as an attribute of its own (by key). Every
/// one of them unassigned is a reader without a seat: removing the
/// extension makes a member that.
pub fn roster_schema(roles: Vec<String>, fields: &[CustomFieldAttr]) -> Schema {
    let mut attributes = vec![
        Attr::string(
            "role",
            "The member's role in Roster: admin, division_admin, collaborator, custom:<key>, or (absent) reader. The directory never grants owner.",
        )
        .case_exact()
        .canonical_owned(roles),
        Attr::string("seatType", "The member's seat type (power or casual); absent: no seat.")
            .case_exact()
            .canonical(&["power", "casual"]),
    ];
    for field in fields {
        // A key that matches a fixed attribute's name would be ambiguous
        // (names match without case): such a field stays out of SCIM.
        if attributes.iter().any(|a| a.name.eq_ignore_ascii_case(&field.key)) {
            continue;
        }
        let description = format!("Custom field \"{}\" ({}).", field.label, field.kind);
        let attr = match field.kind.as_str() {
            "number" => Attr::decimal(field.key.clone(), description),
            "yes_no" => Attr::boolean(field.key.clone(), description),
            "choice" => Attr::string(field.key.clone(), description)
                .case_exact()
                .canonical_owned(field.choices.clone()),
            "date" => Attr::string(field.key.clone(), format!("{description} As YYYY-MM-DD.")).case_exact(),
            _ => Attr::string(field.key.clone(), description).lines(),
        };
        attributes.push(attr);
    }
    Schema {
        id: ROSTER_USER,
        name: "RosterUser",
        description: "Roster's member attributes: role, seat type and the organization's custom fields.",
        attributes,
    }
}

pub fn group_schema() -> Schema {
    let members = Attr::complex(
        "members",
        "The group's members (users only; Roster teams from the directory do not hold groups).",
        vec![
            Attr::string("value", "The member's user id.").case_exact().required(),
            Attr::reference("$ref", &["User"], "The member's URI."),
            Attr::string("type", "The member's resource type.").canonical(&["User"]),
        ],
    )
    .multi();
    Schema {
        id: GROUP,
        name: "Group",
        description: "A directory group: a Roster team that the identity provider manages.",
        attributes: vec![
            Attr::string(
                "displayName",
                "The group's name (the team's name). Unique among directory groups, without regard to case.",
            )
            .required()
            .unique(),
            members,
        ],
    }
}

pub fn user_resource(roles: Vec<String>, fields: &[CustomFieldAttr]) -> Resource {
    Resource {
        name: "User",
        endpoint: "/Users",
        description: "Members of the organization",
        core: user_schema(),
        extensions: vec![enterprise_schema(), roster_schema(roles, fields)],
    }
}

pub fn group_resource() -> Resource {
    Resource {
        name: "Group",
        endpoint: "/Groups",
        description: "Directory groups: teams of the organization that the identity provider manages",
        core: group_schema(),
        extensions: vec![],
    }
}

/// The schemas of the discovery resources themselves (RFC 7643 §5–§7),
/// which `/Schemas` lists beside the resources' own.
pub fn discovery_schemas() -> Vec<Schema> {
    let ro = |a: Attr| a.read_only();
    vec![
        Schema {
            id: SERVICE_PROVIDER_CONFIG,
            name: "ServiceProviderConfig",
            description: "The service provider's configuration.",
            attributes: vec![
                ro(Attr::reference(
                    "documentationUri",
                    &["external"],
                    "Help about the service.",
                )),
                ro(Attr::complex(
                    "patch",
                    "PATCH support.",
                    vec![ro(Attr::boolean("supported", "Whether PATCH is supported.").required())],
                )
                .required()),
                ro(Attr::complex(
                    "bulk",
                    "Bulk support.",
                    vec![
                        ro(Attr::boolean("supported", "Whether bulk is supported.").required()),
                        ro(Attr::new("maxOperations", Kind::Integer, "The most operations.").required()),
                        ro(Attr::new("maxPayloadSize", Kind::Integer, "The largest payload, in bytes.").required()),
                    ],
                )
                .required()),
                ro(Attr::complex(
                    "filter",
                    "Filter support.",
                    vec![
                        ro(Attr::boolean("supported", "Whether filters are supported.").required()),
                        ro(Attr::new("maxResults", Kind::Integer, "The most results.").required()),
                    ],
                )
                .required()),
                ro(Attr::complex(
                    "changePassword",
                    "Password change support.",
                    vec![ro(Attr::boolean("supported", "Whether passwords change.").required())],
                )
                .required()),
                ro(Attr::complex(
                    "sort",
                    "Sort support.",
                    vec![ro(
                        Attr::boolean("supported", "Whether sorting is supported.").required()
                    )],
                )
                .required()),
                ro(Attr::complex(
                    "etag",
                    "Entity tag support.",
                    vec![ro(
                        Attr::boolean("supported", "Whether entity tags are supported.").required()
                    )],
                )
                .required()),
                ro(Attr::complex(
                    "authenticationSchemes",
                    "How clients authenticate.",
                    vec![
                        ro(Attr::string("type", "The scheme's type.").required()),
                        ro(Attr::string("name", "The scheme's name.").required()),
                        ro(Attr::string("description", "What the scheme is.").required()),
                        ro(Attr::reference("specUri", &["external"], "The scheme's specification.")),
                        ro(Attr::reference(
                            "documentationUri",
                            &["external"],
                            "Help about the scheme.",
                        )),
                        ro(Attr::boolean("primary", "Whether this is the preferred scheme.")),
                    ],
                )
                .multi()
                .required()),
            ],
        },
        Schema {
            id: RESOURCE_TYPE,
            name: "ResourceType",
            description: "A type of resource the service provides.",
            attributes: vec![
                ro(Attr::string("id", "The resource type's id.")),
                ro(Attr::string("name", "The resource type's name.").required()),
                ro(Attr::string("description", "What the resource type is.")),
                ro(Attr::reference("endpoint", &["uri"], "The resource type's endpoint.").required()),
                ro(Attr::reference("schema", &["uri"], "The core schema's URN.").required()),
                ro(Attr::complex(
                    "schemaExtensions",
                    "The schema extensions.",
                    vec![
                        ro(Attr::reference("schema", &["uri"], "The extension's URN.").required()),
                        ro(Attr::boolean("required", "Whether the extension is required.").required()),
                    ],
                )
                .multi()),
            ],
        },
        Schema {
            id: SCHEMA,
            name: "Schema",
            description: "A schema: the attributes of a resource or extension.",
            attributes: vec![
                ro(Attr::string("id", "The schema's URN.").required()),
                ro(Attr::string("name", "The schema's name.")),
                ro(Attr::string("description", "What the schema is.")),
                ro(Attr::complex(
                    "attributes",
                    "The schema's attributes.",
                    vec![
                        ro(Attr::string("name", "The attribute's name.").required()),
                        ro(Attr::string("type", "The attribute's type.").required()),
                        ro(Attr::boolean("multiValued", "Whether it holds several values.").required()),
                        ro(Attr::string("description", "What the attribute is.")),
                        ro(Attr::boolean("required", "Whether it is required.")),
                        ro(Attr::string("canonicalValues", "Suggested values.").multi()),
                        ro(Attr::boolean("caseExact", "Whether case matters.")),
                        ro(Attr::string("mutability", "When it may change.")),
                        ro(Attr::string("returned", "When it is returned.")),
                        ro(Attr::string("uniqueness", "How it is unique.")),
                        ro(Attr::string("referenceTypes", "What a reference names.").multi()),
                        ro(Attr::string("subAttributes", "A complex attribute's sub-attributes.").multi()),
                    ],
                )
                .multi()
                .required()),
            ],
        },
    ]
}

/// `/ServiceProviderConfig` (RFC 7643 §5): what Roster really supports.
pub fn service_provider_config(base_url: &str, docs_url: &str, max_results: usize, max_payload: usize) -> Value {
    json!({
        "schemas": [SERVICE_PROVIDER_CONFIG],
        "documentationUri": docs_url,
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": max_payload},
        "filter": {"supported": true, "maxResults": max_results},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "A SCIM token of the organization (Settings → Identity provider, or `roster scim token create`), sent as `Authorization: Bearer rsc_…`.",
            "specUri": "https://www.rfc-editor.org/rfc/rfc6750",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base_url}/ServiceProviderConfig"),
        },
    })
}
