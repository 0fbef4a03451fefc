using Firely.Fhir.Validation;
using Hipaa.Auditing;
using Hl7.Fhir.Model;
using Hl7.Fhir.Specification.Source;
using Hl7.Fhir.Specification.Terminology;

namespace Hipaa.Fhir.Tests;

/// <summary>
/// Every action's AuditEvent, including the unknown-client and denied cases, is valid base FHIR R4 (structure, cardinality,
/// invariants, required bindings) under the Firely validator with the R4 specification package.
/// </summary>
public sealed class FhirAuditEventValidationTests
{
    private static readonly Lazy<Validator> R4 = new(() =>
    {
        var source = new CachedResolver(ZipSource.CreateValidationSource());
        return new Validator(source, LocalTerminologyService.CreateDefaultForCore(source));
    });

    private readonly FhirAuditEventMapper _mapper = new("clinic-ehr", "main-campus", "https://ehr.example.org/fhir");

    public static TheoryData<string, AuditRecord> Records() => new()
    {
        { "read", Sample() },
        { "create", Sample() with { Action = AuditAction.Create } },
        { "update", Sample() with { Action = AuditAction.Update } },
        { "delete", Sample() with { Action = AuditAction.Delete } },
        { "raw SQL", Sample() with { Action = AuditAction.Execute, RecordKeys = [] } },
        { "export", Sample() with { Action = AuditAction.Export } },
        { "disclose", Sample() with { Action = AuditAction.Disclose, Recipient = "County Court", Description = "Notes 2025" } },
        { "disclose, recipient unknown", Sample() with { Action = AuditAction.Disclose } },
        { "no client, no address", Sample() with { ClientApplication = null, ClientAddress = null } },
        { "denied system actor", Sample() with { ActorId = "system:claims", Outcome = AuditOutcome.Denied, Decision = "rule:deny", PatientId = null, RequestId = null } },
    };

    [Theory]
    [MemberData(nameof(Records))]
    public void ToAuditEvent_EachCase_IsValidBaseR4(string name, AuditRecord record)
    {
        OperationOutcome outcome = R4.Value.Validate(_mapper.ToAuditEvent(record));

        string[] errors = [.. outcome.Issue
            .Where(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal)
            .Select(i => $"{string.Join(",", i.Expression)}: {i.Details?.Text}")];
        Assert.True(errors.Length == 0, name + ": " + string.Join("\n", errors));
    }

    [Fact]
    public void Validate_AuditEventWithoutTypeOrAgentWho_ReportsErrors()
    {
        AuditEvent broken = _mapper.ToAuditEvent(Sample());
        broken.Type = null!;
        broken.Agent[0].Network = new AuditEvent.NetworkComponent();

        OperationOutcome outcome = R4.Value.Validate(broken);

        Assert.Contains(outcome.Issue, i => i.Severity == OperationOutcome.IssueSeverity.Error);
    }

    private static AuditRecord Sample() => new()
    {
        RecordId = Guid.Parse("0190f5a2-c3d4-7e5f-8a6b-1c2d3e4f5a6b"),
        OccurredAt = new DateTimeOffset(2026, 1, 5, 10, 0, 0, TimeSpan.Zero),
        ActorId = "u-ther-1",
        ActorRoles = ["Therapist"],
        ClientApplication = "ehr-web",
        PatientId = "patient-1",
        Action = AuditAction.Read,
        Entity = "Note",
        Categories = ["ProgressNote"],
        Labels = ["PSY", "SUD"],
        Fields = ["Text"],
        PurposeOfUse = "TREAT",
        ClientAddress = "10.1.2.3",
        RequestId = "req-1",
        RecordKeys = ["42"],
        RowCount = 1,
    };
}
