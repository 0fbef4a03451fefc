using System.Globalization;
using Hipaa.Auditing;
using Hipaa.Policy;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Hipaa.Fhir;

/// <summary>
/// The patient's right of access (45 CFR 164.524): a copy of everything the patient may receive about themselves, as a FHIR
/// R4 <see cref="Bundle"/> of type <c>collection</c>, with policy applied and audited as a disclosure to the patient. Resolve
/// it from DI (<c>AddHipaa().AddPatientRecordExport()</c>, one <c>AddPatientRecordSource&lt;T&gt;()</c> per kind of record);
/// it needs the audit trail (<c>AddQueryAuditing()</c>). docs/policy.md ("The patient's right of access") describes it.
/// </summary>
/// <remarks>
/// <para>
/// The requester is the ambient <see cref="AccessContext"/>: the patient, or their personal representative
/// (<see cref="Actor.RepresentativeOf"/>), with purpose <c>PATRQT</c>. Every registered source reads under a context of that
/// actor scoped to the patient, so EF Core audits and decides each row as usual; the export then decides every record again
/// with the policy engine (a <c>Read</c> for <c>PATRQT</c>, rule 3) and:
/// </para>
/// <list type="bullet">
/// <item>includes each permitted record, mapped by its source and labelled with <see cref="FhirSecurityLabels"/> (the Bundle
/// carries the union of its entries' labels, at the highest confidentiality);</item>
/// <item>withholds psychotherapy and SUD counseling notes (and categories the catalog does not offer to patients) without
/// mapping them, and says so in an <see cref="OperationOutcome"/> entry: per category, how many, the rule and its legal
/// ground, that the ground is not reviewable, how to complain — never their content;</item>
/// <item>refuses the whole export (<see cref="PhiAccessDeniedException"/>, nothing returned, the refusal audited) when the
/// requester may not exercise the right of access for this patient, and fails (<see cref="InvalidOperationException"/>,
/// nothing returned) when a source returns a record of another patient, a mapping names another patient, or a permit would
/// need a field mask the export cannot apply to a FHIR resource.</item>
/// </list>
/// <para>
/// Before the Bundle is returned, one <see cref="AuditAction.Disclose"/> record is appended to the trail: recipient the
/// requester, purpose <c>PATRQT</c>, the categories, labels and resource references disclosed, what was withheld, the rule
/// (<c>patient.right-of-access</c>, or <c>patient.personal-representative</c> for a representative). If it cannot be stored
/// (<see cref="AuditUnavailableException"/>), nothing is returned. The accounting of disclosures leaves it out
/// (45 CFR 164.528(a)(1)(ii)); the who-accessed report shows it.
/// </para>
/// </remarks>
public sealed class PatientRecordExport
{
    private static readonly PurposeOfUse RightOfAccess = PurposeOfUse.PatientRequest;

    private readonly IReadOnlyList<IPatientRecordSource> _sources;
    private readonly IAuditSink _audit;
    private readonly PolicyEngine _engine;
    private readonly TimeProvider _time;
    private readonly PatientRecordExportOptions _options;

    internal PatientRecordExport(
        IEnumerable<IPatientRecordSource> sources,
        IAuditSink audit,
        PolicyEngine engine,
        TimeProvider time,
        PatientRecordExportOptions options)
    {
        _sources = [.. sources];
        _audit = audit;
        _engine = engine;
        _time = time;
        _options = options;
    }

    /// <summary>
    /// Exports the patient's records for the requester of the ambient <see cref="AccessContext"/> and records the disclosure.
    /// </summary>
    /// <param name="patientId">The patient whose records are exported.</param>
    /// <param name="cancellationToken">Cancels the reads and the wait for the audit store.</param>
    /// <returns>The Bundle (type <c>collection</c>), returned only once its disclosure is in the audit trail.</returns>
    /// <exception cref="ArgumentException"><paramref name="patientId"/> is empty or white space.</exception>
    /// <exception cref="InvalidOperationException">
    /// No access context is current, its purpose is not <c>PATRQT</c>, no source is registered, a source returned a record of
    /// another patient, a mapping named another patient or returned no resource, two records mapped to the same resource, or
    /// a permit carries a field mask.
    /// </exception>
    /// <exception cref="PhiAccessDeniedException">
    /// The requester may not exercise the right of access for this patient (not the patient nor their personal representative,
    /// a shared account, a context scoped to other patients); the refusal is in the audit trail.
    /// </exception>
    /// <exception cref="AuditUnavailableException">A read or the disclosure could not be recorded; nothing is exported.</exception>
    public async Task<Bundle> ExportAsync(string patientId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(patientId);
        AccessContext requester = AccessContext.Current ?? throw new InvalidOperationException(
            "A right-of-access export needs the requester's AccessContext (the patient or their personal representative, purpose PATRQT): UseHipaaAccessContext() in ASP.NET Core, or AccessContext.Begin(...).");
        if (requester.PurposeOfUse != RightOfAccess)
        {
            throw new InvalidOperationException(
                $"A right-of-access export runs under purpose of use PATRQT (patient request), but the access context's purpose is {requester.PurposeOfUse}; begin a context with PurposeOfUse.PatientRequest for the patient or their personal representative.");
        }

        if (_sources.Count == 0)
        {
            throw new InvalidOperationException(
                "No IPatientRecordSource is registered, so the export would be empty; register one per kind of record of the designated record set with AddHipaa().AddPatientRecordSource<T>().");
        }

        Actor actor = requester.Actor;
        string patient = PatientIds.Canonical(patientId);
        if (requester.PatientScope is { } scope && !scope.Any(p => PatientIds.Same(p, patient)))
        {
            await RefuseAsync(requester, patient, "Deny patient.own-record-only", cancellationToken).ConfigureAwait(false);
            throw new PhiAccessDeniedException("A right-of-access export was refused: the access context is scoped to other patients than the one asked for, so the request was not authorized for this patient.");
        }

        // Before anything is read: may this requester exercise the right of access for this patient at all?
        AccessDecision gate = Decide(actor, patient, DataCategory.Demographics, []);
        if (!gate.IsPermitted && !WithheldRecords.Withholds(gate))
        {
            await RefuseAsync(requester, patient, "Deny " + gate.Rule.Id, cancellationToken).ConfigureAwait(false);
            throw new PhiAccessDeniedException(gate, "A right-of-access export");
        }

        var scoped = new AccessContext(actor, RightOfAccess)
        {
            ClientAddress = requester.ClientAddress,
            RequestId = requester.RequestId,
            ClientApplication = requester.ClientApplication,
            PatientScope = [patient],
        };
        var included = new List<Resource>();
        var disclosed = new Disclosed();
        var withheld = new WithheldRecords();
        using (AccessContext.Begin(scoped))
        {
            foreach (IPatientRecordSource source in _sources)
            {
                await foreach (PatientRecord record in source.ReadAsync(patientId, cancellationToken).WithCancellation(cancellationToken).ConfigureAwait(false))
                {
                    if (record is null || !PatientIds.Same(record.PatientId, patient))
                    {
                        throw new InvalidOperationException(
                            $"{source.GetType().Name} returned {(record is null ? "a null record" : "a record of another patient")} for a right-of-access export; nothing is exported. A source must read only the records of the patient it is given.");
                    }

                    AccessDecision decision = Decide(actor, record.PatientId, record.Category, record.Labels, record.AuthorId);
                    if (WithheldRecords.Withholds(decision))
                    {
                        withheld.Add(record.Category, decision.Rule);
                        continue;
                    }

                    if (!decision.IsPermitted)
                    {
                        await RefuseAsync(requester, patient, "Deny " + decision.Rule.Id, cancellationToken).ConfigureAwait(false);
                        throw new PhiAccessDeniedException(decision, $"A right-of-access export of a {record.Category} record");
                    }

                    included.Add(Map(source, record, decision, patient));
                    disclosed.Add(record, decision, included[^1]);
                }
            }
        }

        DateTimeOffset now = _time.GetUtcNow().ToUniversalTime();
        Bundle bundle = Assemble(included, withheld, now);
        await _audit.AppendAsync([DisclosureRecord(requester, patient, bundle, disclosed, withheld, now)], cancellationToken).ConfigureAwait(false);
        return bundle;
    }

    private AccessDecision Decide(Actor actor, string patientId, DataCategory category, IReadOnlyList<SensitivityLabel> labels, string? authorId = null) =>
        _engine.Decide(new AccessRequest
        {
            Actor = actor,
            PatientId = patientId,
            Category = category,
            Labels = labels,
            AuthorId = authorId,
            Action = PhiAction.Read,
            Purpose = RightOfAccess,
            At = _time.GetUtcNow(),
        });

    private static Resource Map(IPatientRecordSource source, PatientRecord record, AccessDecision decision, string patientId)
    {
        if (decision.HasObligation(Obligation.MaskFields))
        {
            throw new InvalidOperationException(
                $"The role catalog lets patients see only some fields of {record.Category} records (a field mask), which the export cannot apply to a FHIR resource; nothing is exported. Grant the category to the patient role without a mask, or not at all.");
        }

        Resource resource = record.ToFhir() ?? throw new InvalidOperationException(
            $"The FHIR mapping of a {record.Category} record from {source.GetType().Name} returned no resource; nothing is exported.");
        if (PatientReferenceCheck.FindOtherPatient(resource, patientId) is { } path)
        {
            throw new InvalidOperationException(
                $"The FHIR mapping of a {record.Category} record from {source.GetType().Name} names another patient at {path}; nothing is exported. A mapping must refer to the exported patient only.");
        }

        FhirSecurityLabels.Apply(resource, record.Category, record.Labels, decision);
        return resource;
    }

    private Bundle Assemble(List<Resource> included, WithheldRecords withheld, DateTimeOffset now)
    {
        var bundle = new Bundle
        {
            Type = Bundle.BundleType.Collection,
            Identifier = new Identifier("urn:ietf:rfc:3986", "urn:uuid:" + Guid.CreateVersion7(now).ToString("D")),
            Timestamp = now,
            Meta = new Meta(),
        };
        if (!withheld.IsEmpty)
        {
            bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = NewUrn(now), Resource = withheld.ToOperationOutcome(_options.ComplaintContact) });
        }

        var identities = new HashSet<string>(StringComparer.Ordinal);
        foreach (Resource resource in included)
        {
            if (resource.Id is { Length: > 0 } id && !identities.Add(resource.TypeName + "/" + id))
            {
                throw new InvalidOperationException(
                    $"Two records were mapped to the same {resource.TypeName} id; nothing is exported. Give every exported resource its own id.");
            }

            string fullUrl = _options.FhirBaseUrl is { } baseUrl && resource.Id is { Length: > 0 }
                ? $"{baseUrl.AbsoluteUri.TrimEnd('/')}/{resource.TypeName}/{Uri.EscapeDataString(resource.Id)}"
                : NewUrn(now);
            bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = fullUrl, Resource = resource });
            foreach (Coding label in resource.Meta?.Security ?? [])
            {
                AddLabel(bundle.Meta, label);
            }
        }

        if (bundle.Meta.Security.Count == 0)
        {
            bundle.Meta = null;
        }

        return bundle;
    }

    /// <summary>Adds a label to the Bundle's: the highest confidentiality of its entries, and every other code once.</summary>
    private static void AddLabel(Meta meta, Coding label)
    {
        const string Ranks = "ULMNRV";
        if (label.System == FhirSecurityLabels.ConfidentialitySystem)
        {
            int existing = meta.Security.FindIndex(c => c.System == FhirSecurityLabels.ConfidentialitySystem);
            if (existing < 0)
            {
                meta.Security.Insert(0, (Coding)label.DeepCopy());
            }
            else if (Ranks.IndexOf(label.Code ?? "", StringComparison.Ordinal) > Ranks.IndexOf(meta.Security[existing].Code ?? "", StringComparison.Ordinal))
            {
                meta.Security[existing] = (Coding)label.DeepCopy();
            }

            return;
        }

        if (!meta.Security.Exists(c => c.System == label.System && c.Code == label.Code))
        {
            meta.Security.Add((Coding)label.DeepCopy());
        }
    }

    private static string NewUrn(DateTimeOffset now) => "urn:uuid:" + Guid.CreateVersion7(now).ToString("D");

    private static AuditRecord DisclosureRecord(
        AccessContext requester, string patientId, Bundle bundle, Disclosed disclosed, WithheldRecords withheld, DateTimeOffset now)
    {
        Actor actor = requester.Actor;
        string to = PatientIds.Same(actor.Id, patientId) ? "to the patient"
            : actor.IsRepresentativeOf(patientId) ? $"to {actor.Id}, the patient's personal representative (45 CFR 164.502(g))"
            : $"to {actor.Id}";
        string description = string.Create(CultureInfo.InvariantCulture, $"Right of access (45 CFR 164.524): FHIR Bundle {bundle.Identifier?.Value} {to}: {disclosed.Count} record(s)")
            + (disclosed.Count == 0 ? "" : $" ({string.Join(", ", disclosed.Categories)})")
            + (withheld.IsEmpty ? "" : $"; withheld: {withheld.Describe()}");
        string decision = (disclosed.Rules.Count == 0 ? "" : "Permit " + string.Join(",", disclosed.Rules))
            + (withheld.IsEmpty ? "" : (disclosed.Rules.Count == 0 ? "" : "; ") + "withheld: " + withheld.Describe());
        return new AuditRecord
        {
            RecordId = Guid.CreateVersion7(now),
            OccurredAt = now,
            ActorId = actor.Id!,
            ActorRoles = actor.Roles,
            ClientApplication = requester.ClientApplication,
            PatientId = patientId,
            Action = AuditAction.Disclose,
            Entity = "Bundle",
            Categories = disclosed.Categories,
            Labels = disclosed.Labels,
            PurposeOfUse = RightOfAccess.Code,
            Outcome = AuditOutcome.Success,
            ClientAddress = requester.ClientAddress,
            RequestId = requester.RequestId,
            Recipient = actor.Id,
            Description = description,
            RecordKeys = disclosed.References,
            RowCount = disclosed.Count,
            Decision = decision,
        };
    }

    /// <summary>Records a refused export: a denied disclosure to the requester, so that the attempt leaves a trace.</summary>
    private async Task RefuseAsync(AccessContext requester, string patientId, string decision, CancellationToken cancellationToken)
    {
        DateTimeOffset now = _time.GetUtcNow().ToUniversalTime();
        var record = new AuditRecord
        {
            RecordId = Guid.CreateVersion7(now),
            OccurredAt = now,
            ActorId = requester.Actor.Id!,
            ActorRoles = requester.Actor.Roles,
            ClientApplication = requester.ClientApplication,
            PatientId = patientId,
            Action = AuditAction.Disclose,
            Entity = "Bundle",
            PurposeOfUse = RightOfAccess.Code,
            Outcome = AuditOutcome.Denied,
            ClientAddress = requester.ClientAddress,
            RequestId = requester.RequestId,
            Recipient = requester.Actor.Id,
            Description = "Right of access (45 CFR 164.524): export refused",
            Decision = decision,
        };
        await _audit.AppendAsync([record], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What the Bundle discloses, for the disclosure record: categories, labels, references and rules, each once, in order.</summary>
    private sealed class Disclosed
    {
        public int Count { get; private set; }

        public List<string> Categories { get; } = [];

        public List<string> Labels { get; } = [];

        public List<string> References { get; } = [];

        public List<string> Rules { get; } = [];

        public void Add(PatientRecord record, AccessDecision decision, Resource resource)
        {
            Count++;
            AddOnce(Categories, record.Category.Name);
            foreach (SensitivityLabel label in record.Labels)
            {
                AddOnce(Labels, label.Code);
            }

            AddOnce(Rules, decision.Rule.Id);
            if (resource.Id is { Length: > 0 } id)
            {
                References.Add(resource.TypeName + "/" + id);
            }
        }

        private static void AddOnce(List<string> list, string value)
        {
            if (!list.Contains(value, StringComparer.Ordinal))
            {
                list.Add(value);
            }
        }
    }
}
