using System.Globalization;
using System.Text.RegularExpressions;
using Hipaa.Policy;
using Hl7.Fhir.Model;
using DateTimeRange = Hl7.Fhir.ElementModel.Types.DateTimeRange;
using FhirConsent = Hl7.Fhir.Model.Consent;
using PolicyConsent = Hipaa.Policy.Consent;

namespace Hipaa.Fhir;

/// <summary>
/// Maps the SDK's consents and authorizations (<see cref="PolicyConsent"/>) to FHIR R4 <c>Consent</c> resources and
/// back. docs/policy.md ("FHIR Consent and security labels") has the element-by-element table.
/// </summary>
/// <remarks>
/// <para>
/// Export: scope <c>patient-privacy</c>, category v3-ActCode <c>IDSCL</c> with LOINC <c>64292-6</c>, the patient, the
/// kind in <c>policyRule</c> (the HL7 law or policy code with the SDK's own <see cref="ConsentKindSystem"/> code), and one
/// <c>permit</c> provision: validity in <c>provision.period</c>, each recipient a <c>provision.actor</c> with role
/// v3-ParticipationType <c>IRCP</c> (none for <see cref="PolicyConsent.AnyRecipient"/>), each purpose a
/// <c>provision.purpose</c> (v3-ActReason), each data category a <c>provision.class</c> (<see cref="DataCategorySystem"/>;
/// none for <see cref="DataCategory.All"/>). A revoked consent has status <c>inactive</c> and a nested <c>deny</c>
/// provision starting at the revocation.
/// </para>
/// <para>
/// Import accepts exactly what can be mapped without changing what the consent permits, and otherwise throws
/// <see cref="FhirConsentImportException"/> naming the element: any other status, scope or provision type, a missing
/// patient, kind, start or purpose, a recipient, purpose or class from another code system, any provision element the
/// SDK has no counterpart for (<c>action</c>, <c>securityLabel</c>, <c>code</c>, <c>dataPeriod</c>, <c>data</c>, other
/// nested provisions) and any modifier extension. Instances are immutable and thread-safe.
/// </para>
/// </remarks>
public sealed partial class FhirConsentMapper
{
    private const string InstantFormat = "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz";

    private readonly TimeZoneInfo _timeZone;

    /// <summary>Initializes a new instance.</summary>
    /// <param name="timeZone">
    /// The time zone in which <see cref="FromFhir"/> reads dates and times that carry none (for example
    /// <c>period.end = "2026-12-31"</c>, which then ends at midnight after that day in this zone). Default: UTC. Exported
    /// times always carry their offset.
    /// </param>
    public FhirConsentMapper(TimeZoneInfo? timeZone = null)
    {
        _timeZone = timeZone ?? TimeZoneInfo.Utc;
    }

    /// <summary>Gets the identifier system of consent ids (<c>Consent.identifier.system</c>): <c>urn:hipaa-sdk:consent</c>.</summary>
    public static string ConsentIdentifierSystem => "urn:hipaa-sdk:consent";

    /// <summary>Gets the identifier system of patient ids (<c>Consent.patient.identifier.system</c>): <c>urn:hipaa-sdk:patient</c>.</summary>
    public static string PatientIdentifierSystem => "urn:hipaa-sdk:patient";

    /// <summary>
    /// Gets the identifier system of recipients (<c>Consent.provision.actor.reference.identifier.system</c>), whose values
    /// are the organizations the policy engine matches: <c>urn:hipaa-sdk:organization</c>.
    /// </summary>
    public static string RecipientIdentifierSystem => "urn:hipaa-sdk:organization";

    /// <summary>Gets the code system of the SDK's consent kinds in <c>Consent.policyRule</c> (codes are the <see cref="ConsentKind"/> names): <c>urn:hipaa-sdk:consent-kind</c>.</summary>
    public static string ConsentKindSystem => "urn:hipaa-sdk:consent-kind";

    /// <summary>Gets the code system of data categories in <c>Consent.provision.class</c> (codes are the <see cref="DataCategory"/> names): <c>urn:hipaa-sdk:data-category</c>.</summary>
    public static string DataCategorySystem => "urn:hipaa-sdk:data-category";

    /// <summary>Maps a consent to a FHIR R4 Consent.</summary>
    /// <param name="consent">The consent.</param>
    /// <returns>
    /// The resource; its <c>id</c> is the consent's id when that is a valid FHIR id, and <c>identifier</c> always carries it.
    /// </returns>
    /// <exception cref="ArgumentException">
    /// The consent names no recipient, purpose or category, or its validity window is empty: it permits nothing, and FHIR
    /// reads an absent recipient, purpose or class as "any", so exporting it would widen it.
    /// </exception>
    public FhirConsent ToFhir(PolicyConsent consent)
    {
        ArgumentNullException.ThrowIfNull(consent);
        RequireSomething(consent, consent.Recipients.Count, "recipient");
        RequireSomething(consent, consent.Purposes.Count, "purpose of use");
        RequireSomething(consent, consent.Categories.Count, "data category");
        if (consent.Until is { } until && until <= consent.From)
        {
            throw new ArgumentException(
                $"Consent '{consent.Id}' ends at or before it starts and is never valid; a FHIR period cannot express it, so it is not exported.",
                nameof(consent));
        }

        var resource = new FhirConsent
        {
            Id = IsFhirId(consent.Id) ? consent.Id : null,
            Identifier = [new Identifier(ConsentIdentifierSystem, consent.Id)],
            Status = consent.RevokedAt is null ? FhirConsent.ConsentState.Active : FhirConsent.ConsentState.Inactive,
            Scope = new CodeableConcept { Coding = [ConsentCodes.PatientPrivacy] },
            Category = [new CodeableConcept { Coding = [ConsentCodes.InformationDisclosure, ConsentCodes.ReleaseOfInformation] }],
            Patient = new ResourceReference
            {
                Reference = IsFhirId(consent.PatientId) ? "Patient/" + consent.PatientId : null,
                Identifier = new Identifier(PatientIdentifierSystem, consent.PatientId),
            },
            PolicyRule = new CodeableConcept { Coding = [.. LawCodes(consent.Kind), new Coding(ConsentKindSystem, consent.Kind.ToString())] },
            Provision = Provision(consent),
        };
        return resource;
    }

    /// <summary>Maps a FHIR R4 Consent produced by <see cref="ToFhir"/>, or one of the same shape, to a consent.</summary>
    /// <param name="resource">The resource.</param>
    /// <returns>The consent.</returns>
    /// <exception cref="FhirConsentImportException">
    /// The resource cannot be mapped without changing what it permits; <see cref="FhirConsentImportException.Element"/>
    /// names the element.
    /// </exception>
    public PolicyConsent FromFhir(FhirConsent resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        RefuseModifierExtensions(resource.ModifierExtension, "Consent.modifierExtension");
        string id = ImportId(resource);
        bool revoked = resource.Status switch
        {
            FhirConsent.ConsentState.Active => false,
            FhirConsent.ConsentState.Inactive => true,
            null => throw Refuse("Consent.status", $"Consent '{id}' has no status."),
            { } other => throw Refuse(
                "Consent.status",
                $"Consent '{id}' has status '{StatusCode(other)}'; only an active consent, or an inactive (revoked) one, is imported."),
        };

        if (resource.Scope?.Coding.Exists(c => c.System == ConsentCodes.ConsentScope && c.Code == "patient-privacy") != true)
        {
            throw Refuse("Consent.scope", $"Consent '{id}' is not a patient-privacy consent (consentscope 'patient-privacy').");
        }

        ConsentKind kind = ImportKind(id, resource.PolicyRule);
        string patientId = ImportPatient(id, resource.Patient);
        FhirConsent.provisionComponent provision = resource.Provision
            ?? throw Refuse("Consent.provision", $"Consent '{id}' has no provision, so what it permits is not stated.");
        RefuseModifierExtensions(provision.ModifierExtension, "Consent.provision.modifierExtension");
        if (provision.Type != FhirConsent.ConsentProvisionType.Permit)
        {
            throw Refuse("Consent.provision.type", $"Consent '{id}': only a 'permit' base provision is imported.");
        }

        RefuseElement(id, provision.Action.Count > 0, "Consent.provision.action");
        RefuseElement(id, provision.SecurityLabel.Count > 0, "Consent.provision.securityLabel");
        RefuseElement(id, provision.Code.Count > 0, "Consent.provision.code");
        RefuseElement(id, provision.DataPeriod is not null, "Consent.provision.dataPeriod");
        RefuseElement(id, provision.Data.Count > 0, "Consent.provision.data");

        DateTimeRange validity = ImportPeriod(id, provision.Period, "Consent.provision.period");
        DateTimeOffset from = validity.Start
            ?? throw Refuse("Consent.provision.period.start", $"Consent '{id}' does not say when it starts.");

        return new PolicyConsent(
            id,
            patientId,
            kind,
            ImportRecipients(id, provision.Actor),
            ImportPurposes(id, provision.Purpose),
            ImportCategories(id, provision.Class),
            from,
            validity.End,
            ImportRevocation(id, revoked, provision.Provision));
    }

    private static FhirConsent.provisionComponent Provision(PolicyConsent consent)
    {
        var provision = new FhirConsent.provisionComponent
        {
            Type = FhirConsent.ConsentProvisionType.Permit,
            Period = new Period
            {
                StartElement = Instant(consent.From),
                EndElement = consent.Until is { } until ? LastInstantBefore(until) : null,
            },
        };

        if (!consent.Recipients.Contains(PolicyConsent.AnyRecipient))
        {
            foreach (string recipient in consent.Recipients)
            {
                provision.Actor.Add(new FhirConsent.provisionActorComponent
                {
                    Role = new CodeableConcept { Coding = [ConsentCodes.InformationRecipient] },
                    Reference = new ResourceReference { Identifier = new Identifier(RecipientIdentifierSystem, recipient), Display = recipient },
                });
            }
        }

        foreach (PurposeOfUse purpose in consent.Purposes)
        {
            provision.Purpose.Add(new Coding(ConsentCodes.ActReason, purpose.Code));
        }

        if (!consent.Categories.Contains(DataCategory.All))
        {
            foreach (DataCategory category in consent.Categories)
            {
                provision.Class.Add(new Coding(DataCategorySystem, category.Name));
            }
        }

        if (consent.RevokedAt is { } revokedAt)
        {
            // Revocation: everything the base provision permits is denied from the revocation on (R4 nested provisions
            // are exceptions to the base rule). R4 has no revocation-date element; status alone would lose the time.
            provision.Provision.Add(new FhirConsent.provisionComponent
            {
                Type = FhirConsent.ConsentProvisionType.Deny,
                Period = new Period { StartElement = Instant(revokedAt) },
            });
        }

        return provision;
    }

    /// <summary>The HL7 codes of the law or policy under which a consent of this kind is given (besides the SDK's own kind code).</summary>
    private static Coding[] LawCodes(ConsentKind kind) => kind switch
    {
        ConsentKind.Part2 or ConsentKind.Part2Tpo or ConsentKind.SudCounselingNoteConsent => [ConsentCodes.Part2Law],
        ConsentKind.PsychotherapyAuthorization => [ConsentCodes.HipaaAuthorization, ConsentCodes.PsychotherapyNotesLaw],
        ConsentKind.HipaaAuthorization => [ConsentCodes.HipaaAuthorization],
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "The consent kind has no FHIR mapping."),
    };

    private static FhirDateTime Instant(DateTimeOffset at) => new(at.ToString(InstantFormat, CultureInfo.InvariantCulture));

    /// <summary>
    /// FHIR <c>Period.end</c> is inclusive at its precision, the SDK's <c>Until</c> exclusive: the end written is the last
    /// unit before <c>Until</c> at the coarsest precision (second, millisecond, microsecond or 100 ns) at which
    /// <c>Until</c> falls on a unit boundary, so that the period covers exactly the instants before <c>Until</c>.
    /// </summary>
    private static FhirDateTime LastInstantBefore(DateTimeOffset until)
    {
        (long unit, string format) = (until.UtcTicks % TimeSpan.TicksPerSecond) switch
        {
            0 => (TimeSpan.TicksPerSecond, "yyyy-MM-dd'T'HH:mm:sszzz"),
            long t when t % TimeSpan.TicksPerMillisecond == 0 => (TimeSpan.TicksPerMillisecond, "yyyy-MM-dd'T'HH:mm:ss.fffzzz"),
            long t when t % TimeSpan.TicksPerMicrosecond == 0 => (TimeSpan.TicksPerMicrosecond, "yyyy-MM-dd'T'HH:mm:ss.ffffffzzz"),
            _ => (1L, "yyyy-MM-dd'T'HH:mm:ss.fffffffzzz"),
        };
        return new FhirDateTime(until.AddTicks(-unit).ToString(format, CultureInfo.InvariantCulture));
    }

    private static void RequireSomething(PolicyConsent consent, int count, string what)
    {
        if (count == 0)
        {
            throw new ArgumentException(
                $"Consent '{consent.Id}' names no {what} and permits nothing; FHIR reads a missing {what} as any, so it is not exported.",
                nameof(consent));
        }
    }

    private static string ImportId(FhirConsent resource)
    {
        foreach (Identifier identifier in resource.Identifier)
        {
            if (identifier.System == ConsentIdentifierSystem && !string.IsNullOrWhiteSpace(identifier.Value))
            {
                return identifier.Value;
            }
        }

        return !string.IsNullOrWhiteSpace(resource.Id)
            ? resource.Id
            : throw Refuse("Consent.identifier", $"The Consent has neither an identifier of system '{ConsentIdentifierSystem}' nor an id.");
    }

    private static ConsentKind ImportKind(string id, CodeableConcept? policyRule)
    {
        Coding[] kinds = policyRule?.Coding.Where(c => c.System == ConsentKindSystem).ToArray() ?? [];
        if (kinds.Length != 1 || !Enum.TryParse(kinds[0].Code, ignoreCase: false, out ConsentKind kind)
            || !Enum.IsDefined(kind) || kind.ToString() != kinds[0].Code)
        {
            throw Refuse(
                "Consent.policyRule",
                $"Consent '{id}' does not name exactly one known consent kind (system '{ConsentKindSystem}', one of {string.Join(", ", Enum.GetNames<ConsentKind>())}).");
        }

        // The HL7 law and policy codes, when present, must be those of the kind: a 42CFRPart2 rule on a HIPAA authorization
        // (or the reverse) is a contradiction, not something to choose between.
        Coding[] expected = LawCodes(kind);
        foreach (Coding coding in policyRule!.Coding)
        {
            bool hl7 = coding.System is ConsentCodes.ActCode or ConsentCodes.ConsentPolicy;
            if (hl7 && !expected.Any(e => e.System == coding.System && e.Code == coding.Code))
            {
                throw Refuse(
                    "Consent.policyRule",
                    $"Consent '{id}' is of kind {kind}, but its policy rule also names '{coding.Code}' ({coding.System}), which does not apply to that kind.");
            }
        }

        return kind;
    }

    private static string ImportPatient(string id, ResourceReference? patient)
    {
        if (patient is null)
        {
            throw Refuse("Consent.patient", $"Consent '{id}' names no patient.");
        }

        string? referenced = patient.Reference is { } reference && reference.StartsWith("Patient/", StringComparison.Ordinal)
            && IsFhirId(reference["Patient/".Length..])
            ? reference["Patient/".Length..]
            : null;
        if (patient.Identifier is { System: { } system, Value: { } value } && system == PatientIdentifierSystem && !string.IsNullOrWhiteSpace(value))
        {
            // Both name the patient (the export writes both): when they disagree the resource is about two patients, and
            // choosing one would let a consent given by one open the records of the other.
            if (referenced is not null && !string.Equals(referenced, value, StringComparison.Ordinal))
            {
                throw Refuse(
                    "Consent.patient",
                    $"Consent '{id}' names its patient by an identifier of system '{PatientIdentifierSystem}' and by a reference 'Patient/<id>' that differ; it is not imported for either.");
            }

            return value;
        }

        if (referenced is not null)
        {
            return referenced;
        }

        throw Refuse(
            "Consent.patient",
            $"Consent '{id}' names its patient neither by an identifier of system '{PatientIdentifierSystem}' nor by a relative reference 'Patient/<id>'.");
    }

    private DateTimeRange ImportPeriod(string id, Period? period, string element)
    {
        if (period is null)
        {
            throw Refuse(element, $"Consent '{id}' does not say when it is valid.");
        }

        if (!period.TryGetRange(_timeZone, out DateTimeRange? range) || range is null)
        {
            throw Refuse(element, $"Consent '{id}' has a period that is not a valid range of times (a bound is malformed, or the end lies before the start).");
        }

        return range;
    }

    private static List<string> ImportRecipients(string id, List<FhirConsent.provisionActorComponent> actors)
    {
        if (actors.Count == 0)
        {
            // FHIR: a provision without actors applies to every actor.
            return [PolicyConsent.AnyRecipient];
        }

        var recipients = new List<string>(actors.Count);
        for (int i = 0; i < actors.Count; i++)
        {
            FhirConsent.provisionActorComponent actor = actors[i];
            string element = $"Consent.provision.actor[{i}]";
            RefuseModifierExtensions(actor.ModifierExtension, element + ".modifierExtension");
            if (actor.Role?.Coding.Exists(c => c.System == ConsentCodes.ParticipationType && c.Code == "IRCP") != true)
            {
                throw Refuse(
                    element + ".role",
                    $"Consent '{id}' names an actor whose role is not information recipient (v3-ParticipationType 'IRCP'); the SDK maps no other role.");
            }

            if (actor.Reference?.Identifier is not { System: { } system, Value: { } value } || system != RecipientIdentifierSystem
                || string.IsNullOrWhiteSpace(value) || value == PolicyConsent.AnyRecipient)
            {
                throw Refuse(
                    element + ".reference",
                    $"Consent '{id}' names a recipient without an identifier of system '{RecipientIdentifierSystem}', which the SDK cannot match to an organization.");
            }

            recipients.Add(value);
        }

        return recipients;
    }

    private static List<PurposeOfUse> ImportPurposes(string id, List<Coding> codings)
    {
        if (codings.Count == 0)
        {
            throw Refuse(
                "Consent.provision.purpose",
                $"Consent '{id}' names no purpose of use; the SDK has no consent for any purpose.");
        }

        var purposes = new List<PurposeOfUse>(codings.Count);
        for (int i = 0; i < codings.Count; i++)
        {
            if (codings[i] is not { System: ConsentCodes.ActReason, Code: { } code } || string.IsNullOrWhiteSpace(code))
            {
                throw Refuse(
                    $"Consent.provision.purpose[{i}]",
                    $"Consent '{id}' names a purpose outside v3-ActReason ({ConsentCodes.ActReason}).");
            }

            purposes.Add(new PurposeOfUse(code));
        }

        return purposes;
    }

    private static List<DataCategory> ImportCategories(string id, List<Coding> codings)
    {
        if (codings.Count == 0)
        {
            // FHIR: a provision without a class applies to every class of data.
            return [DataCategory.All];
        }

        var categories = new List<DataCategory>(codings.Count);
        for (int i = 0; i < codings.Count; i++)
        {
            if (codings[i] is not { System: { } system, Code: { } code } || system != DataCategorySystem
                || string.IsNullOrWhiteSpace(code) || code == DataCategory.All.Name)
            {
                throw Refuse(
                    $"Consent.provision.class[{i}]",
                    $"Consent '{id}' names a class of data outside '{DataCategorySystem}', which the SDK cannot match to a data category.");
            }

            categories.Add(new DataCategory(code));
        }

        return categories;
    }

    private DateTimeOffset? ImportRevocation(string id, bool revoked, List<FhirConsent.provisionComponent> nested)
    {
        if (!revoked)
        {
            RefuseElement(id, nested.Count > 0, "Consent.provision.provision");
            return null;
        }

        if (nested.Count != 1 || nested[0] is not { Type: FhirConsent.ConsentProvisionType.Deny } deny
            || deny.Actor.Count > 0 || deny.Action.Count > 0 || deny.SecurityLabel.Count > 0 || deny.Purpose.Count > 0
            || deny.Class.Count > 0 || deny.Code.Count > 0 || deny.DataPeriod is not null || deny.Data.Count > 0
            || deny.Provision.Count > 0 || deny.ModifierExtension.Count > 0 || deny.Period?.End is not null)
        {
            throw Refuse(
                "Consent.provision.provision",
                $"Consent '{id}' is inactive but does not say when it was revoked: it needs exactly one nested 'deny' provision with only period.start.");
        }

        return ImportPeriod(id, deny.Period, "Consent.provision.provision[0].period").Start
            ?? throw Refuse("Consent.provision.provision[0].period.start", $"Consent '{id}' does not say when it was revoked.");
    }

    private static void RefuseElement(string id, bool present, string element)
    {
        if (present)
        {
            throw Refuse(element, $"Consent '{id}' has {element}, which the SDK cannot represent; importing it without would widen the consent.");
        }
    }

    private static void RefuseModifierExtensions(IEnumerable<Extension> extensions, string element)
    {
        if (extensions.Any())
        {
            throw Refuse(element, $"The Consent has a modifier extension at {element}; it may change what the consent means, so it is not imported.");
        }
    }

    private static FhirConsentImportException Refuse(string element, string message) => new(message, element);

    private static string StatusCode(FhirConsent.ConsentState state) => state switch
    {
        FhirConsent.ConsentState.Draft => "draft",
        FhirConsent.ConsentState.Proposed => "proposed",
        FhirConsent.ConsentState.Rejected => "rejected",
        FhirConsent.ConsentState.EnteredInError => "entered-in-error",
        _ => state.ToString(),
    };

    private static bool IsFhirId(string value) => FhirId().IsMatch(value);

    [GeneratedRegex("^[A-Za-z0-9\\-\\.]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex FhirId();
}
