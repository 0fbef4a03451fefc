using System.Text;
using System.Text.Json;
using Hipaa.Auditing;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Task = System.Threading.Tasks.Task;

// The FHIR model marks every element nullable; a missing element fails these tests with a NullReferenceException.
#nullable disable warnings

namespace Hipaa.Fhir.Tests;

/// <summary>Audit records as FHIR R4 AuditEvents in the IHE BALP 1.1.4 shape, and the NDJSON and Bundle exports.</summary>
public sealed class FhirAuditEventMapperTests
{
    private const string Dicom = "http://dicom.nema.org/resources/ontology/DCM";
    private const string ParticipationType = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
    private const string ProvenanceParticipantType = "http://terminology.hl7.org/CodeSystem/provenance-participant-type";

    private static readonly JsonSerializerOptions FhirJson = new JsonSerializerOptions().ForFhir();

    private readonly FhirAuditEventMapper _mapper = new("clinic-ehr", "main-campus");

    [Fact]
    public void ToAuditEvent_PatientRead_HasTheBalpPatientReadShape()
    {
        AuditRecord record = Read();

        AuditEvent e = _mapper.ToAuditEvent(record);

        Assert.Equal(record.RecordId.ToString("D"), e.Id);
        Assert.Equal(("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest"), (e.Type.System, e.Type.Code));
        Assert.Contains(e.Subtype, c => c.System == "http://hl7.org/fhir/restful-interaction" && c.Code == "read");
        Assert.Contains(e.Subtype, c => c.System == "urn:hipaa-sdk:audit-action" && c.Code == "Read");
        Assert.Equal(AuditEvent.AuditEventAction.R, e.Action);
        Assert.Equal(record.OccurredAt, e.Recorded);
        Assert.Equal(AuditEvent.AuditEventOutcome.N0, e.Outcome);
        Assert.Null(e.OutcomeDesc);
        Assert.Equal("TREAT", Assert.Single(Assert.Single(e.PurposeOfEvent).Coding).Code);

        AuditEvent.AgentComponent user = Assert.Single(e.Agent, a => a.Requestor == true);
        Assert.Equal(("urn:hipaa-sdk:actor", "u-ther-1"), (user.Who.Identifier.System, user.Who.Identifier.Value));
        Assert.Equal(["Therapist", "Supervisor"], user.Role.Select(r => r.Text));
        Assert.Null(user.Network);
        Coding purpose = Assert.Single(Assert.Single(user.PurposeOfUse).Coding);
        Assert.Equal(("http://terminology.hl7.org/CodeSystem/v3-ActReason", "TREAT"), (purpose.System, purpose.Code));

        Assert.Equal("clinic-ehr", e.Source.Observer.Display);
        Assert.Equal("main-campus", e.Source.Site);
        Assert.Equal("4", Assert.Single(e.Source.Type).Code);

        AuditEvent.EntityComponent patient = Assert.Single(e.Entity, x => x.Role?.Code == "1");
        Assert.Equal("Patient/patient-1", patient.What.Reference);
        Assert.Equal(("http://terminology.hl7.org/CodeSystem/audit-entity-type", "1"), (patient.Type.System, patient.Type.Code));
        Assert.Equal("http://terminology.hl7.org/CodeSystem/object-role", patient.Role!.System);
        AuditEvent.EntityComponent data = Assert.Single(e.Entity, x => x.Role?.Code == "4");
        Assert.Equal("2", data.Type.Code);
        Assert.Equal("Note", data.Name);
        Assert.Equal(("urn:hipaa-sdk:entity:Note", "42"), (data.What.Identifier.System, data.What.Identifier.Value));
        Assert.Equal(["PSY", "SUD"], data.SecurityLabel.Select(l => l.Code));
        Assert.All(data.SecurityLabel, l => Assert.Equal("http://terminology.hl7.org/CodeSystem/v3-ActCode", l.System));
        Assert.Equal(["Text", "WrittenAt"], Details(data, "fields"));
        Assert.Equal(["Diagnosis"], Details(data, "redactedFields"));
        Assert.Equal(["ProgressNote"], Details(data, "categories"));
        Assert.Equal(["1"], Details(data, "rowCount"));
        AuditEvent.EntityComponent request = Assert.Single(e.Entity, x => x.Type.Code == "XrequestId");
        Assert.Equal("req-1", request.What.Identifier.Value);
    }

    [Theory]
    [InlineData(AuditAction.Create, "rest", AuditEvent.AuditEventAction.C, "create")]
    [InlineData(AuditAction.Update, "rest", AuditEvent.AuditEventAction.U, "update")]
    [InlineData(AuditAction.Delete, "rest", AuditEvent.AuditEventAction.D, "delete")]
    [InlineData(AuditAction.Execute, "110110", AuditEvent.AuditEventAction.E, null)]
    [InlineData(AuditAction.Export, "110106", AuditEvent.AuditEventAction.R, null)]
    public void ToAuditEvent_EachAction_MapsTypeActionAndSubtype(AuditAction action, string type, AuditEvent.AuditEventAction expected, string? interaction)
    {
        AuditEvent e = _mapper.ToAuditEvent(Read() with { Action = action });

        Assert.Equal(type, e.Type.Code);
        Assert.Equal(expected, e.Action);
        Assert.Equal(interaction, e.Subtype.SingleOrDefault(c => c.System == "http://hl7.org/fhir/restful-interaction")?.Code);
        Assert.Contains(e.Subtype, c => c.System == "urn:hipaa-sdk:audit-action" && c.Code == action.ToString());
    }

    /// <summary>
    /// The agents of each action, as its BALP 1.1.4 profile asks (Read, Create, Update, Delete, PrivacyDisclosure.Source):
    /// exactly one user (requestor, a v3 ParticipationType, no network), one client and one server, each with a network.
    /// </summary>
    [Theory]
    [InlineData(AuditAction.Read, "IRCP", Dicom, "110152", Dicom, "110153")]
    [InlineData(AuditAction.Create, "AUT", Dicom, "110153", Dicom, "110152")]
    [InlineData(AuditAction.Update, "AUT", Dicom, "110153", Dicom, "110152")]
    [InlineData(AuditAction.Delete, "AUT", Dicom, "110150", ProvenanceParticipantType, "custodian")]
    [InlineData(AuditAction.Execute, "AUT", Dicom, "110153", Dicom, "110152")]
    [InlineData(AuditAction.Export, "IRCP", Dicom, "110152", Dicom, "110153")]
    public void ToAuditEvent_EachAction_HasTheBalpAgents(
        AuditAction action, string userType, string clientSystem, string clientType, string serverSystem, string serverType)
    {
        AuditEvent e = _mapper.ToAuditEvent(Read() with { Action = action });

        Assert.Equal(3, e.Agent.Count);
        AuditEvent.AgentComponent user = Assert.Single(e.Agent, a => a.Requestor == true);
        Assert.Equal((ParticipationType, userType), (Assert.Single(user.Type.Coding).System, user.Type.Coding[0].Code));
        Assert.Equal(("urn:hipaa-sdk:actor", "u-ther-1"), (user.Who.Identifier.System, user.Who.Identifier.Value));
        Assert.Null(user.Network);
        AuditEvent.AgentComponent client = Agent(e, clientSystem, clientType);
        Assert.False(client.Requestor);
        Assert.Equal("ehr-web", client.Who.Display);
        Assert.Equal(("10.1.2.3", AuditEvent.AuditEventAgentNetworkType.N2), (client.Network.Address, client.Network.Type));
        AuditEvent.AgentComponent server = Agent(e, serverSystem, serverType);
        Assert.False(server.Requestor);
        Assert.Equal("clinic-ehr", server.Who.Display);
        Assert.True(server.Who.IsExactly(e.Source.Observer), "The server agent is the source observer.");
        Assert.Equal(("clinic-ehr", AuditEvent.AuditEventAgentNetworkType.N1), (server.Network.Address, server.Network.Type));
    }

    [Fact]
    public void ToAuditEvent_Disclosure_HasThePrivacyDisclosureSourceAgents()
    {
        AuditEvent e = _mapper.ToAuditEvent(Read() with { Action = AuditAction.Disclose, Recipient = "County Court" });

        Assert.Equal(4, e.Agent.Count);
        Assert.Equal("IRCP", Assert.Single(e.Agent, a => a.Requestor == true).Type.Coding[0].Code);
        AuditEvent.AgentComponent source = Agent(e, Dicom, "110153");
        Assert.True(source.Who.IsExactly(e.Source.Observer), "BALP val-audit-source: the source agent is the source observer.");
        Assert.Equal("clinic-ehr", source.Network.Address);
        AuditEvent.AgentComponent recipient = Agent(e, Dicom, "110152");
        Assert.Equal("County Court", recipient.Who.Display);
        Assert.False(recipient.Requestor);
        Assert.Equal("unknown", DataAbsentReason(recipient.Network));
        AuditEvent.AgentComponent client = Agent(e, Dicom, "110150");
        Assert.Equal(("ehr-web", "10.1.2.3"), (client.Who.Display, client.Network.Address));
    }

    [Fact]
    public void ToAuditEvent_NoClientApplicationOrAddress_StillHasOneClientAgentMarkedUnknown()
    {
        AuditEvent e = _mapper.ToAuditEvent(Read() with { ClientApplication = null, ClientAddress = null });

        AuditEvent.AgentComponent client = Agent(e, Dicom, "110152");
        Assert.Equal("unknown", DataAbsentReason(client.Who));
        Assert.Equal("unknown", DataAbsentReason(client.Network));
        Assert.Null(client.Who.Display);
    }

    [Theory]
    [InlineData("10.0.0.5", AuditEvent.AuditEventAgentNetworkType.N2)]
    [InlineData("https://ehr.example.org/fhir", AuditEvent.AuditEventAgentNetworkType.N5)]
    [InlineData("ehr.example.org", AuditEvent.AuditEventAgentNetworkType.N1)]
    public void ToAuditEvent_ServerAddressGiven_IsTheServerAgentNetwork(string address, AuditEvent.AuditEventAgentNetworkType type)
    {
        var mapper = new FhirAuditEventMapper("clinic-ehr", serverAddress: address);

        AuditEvent e = mapper.ToAuditEvent(Read());

        AuditEvent.AgentComponent server = Agent(e, Dicom, "110153");
        Assert.Equal((address, type), (server.Network.Address, server.Network.Type));
    }

    [Fact]
    public void ToAuditEvent_Disclosure_IsAnExportWithTheRecipientAsAgent()
    {
        AuditRecord record = Read() with
        {
            Action = AuditAction.Disclose,
            Recipient = "County Court",
            Description = "Progress notes 2025",
            PurposeOfUse = "HLEGAL",
        };

        AuditEvent e = _mapper.ToAuditEvent(record);

        Assert.Equal(("http://dicom.nema.org/resources/ontology/DCM", "110106"), (e.Type.System, e.Type.Code));
        Assert.Contains(e.Subtype, c => c.System == "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle" && c.Code == "disclose");
        Assert.Equal(AuditEvent.AuditEventAction.R, e.Action);
        AuditEvent.AgentComponent recipient = Agent(e, Dicom, "110152");
        Assert.Equal("County Court", recipient.Who.Display);
        Assert.False(recipient.Requestor);
        Assert.Equal("HLEGAL", e.PurposeOfEvent[0].Coding[0].Code);
        Assert.Equal("Progress notes 2025", Assert.Single(e.Entity, x => x.Role?.Code == "4").Description);
    }

    [Fact]
    public void ToAuditEvent_DeniedBySystemActorWithoutPatient_MapsOutcomeAgentAndEntities()
    {
        AuditRecord record = Read() with
        {
            ActorId = "system:claims-export",
            PatientId = null,
            Outcome = AuditOutcome.Denied,
            Decision = "rule:deny-default",
            ClientAddress = "worker-3.internal",
            ClientApplication = null,
            RequestId = null,
            RecordKeys = ["1", "2"],
            BreakGlassReason = "unconscious patient",
        };

        AuditEvent e = _mapper.ToAuditEvent(record);

        Assert.Equal(AuditEvent.AuditEventOutcome.N4, e.Outcome);
        Assert.Equal("Denied by policy: rule:deny-default", e.OutcomeDesc);
        AuditEvent.AgentComponent user = Assert.Single(e.Agent, a => a.Requestor == true);
        Assert.Equal(("urn:hipaa-sdk:actor", "system:claims-export"), (user.Who.Identifier.System, user.Who.Identifier.Value));
        Assert.Equal("IRCP", user.Type.Coding[0].Code);
        Assert.Null(user.Network);
        AuditEvent.AgentComponent client = Agent(e, Dicom, "110152");
        Assert.Equal(("worker-3.internal", AuditEvent.AuditEventAgentNetworkType.N1), (client.Network.Address, client.Network.Type));
        Assert.Equal("unknown", DataAbsentReason(client.Who));
        AuditEvent.EntityComponent data = Assert.Single(e.Entity);
        Assert.Null(data.What.Identifier);
        Assert.Equal(["1", "2"], Details(data, "recordKeys"));
        Assert.Equal(["unconscious patient"], Details(data, "breakGlassReason"));
        Assert.Equal(AuditEvent.AuditEventOutcome.N8, _mapper.ToAuditEvent(record with { Outcome = AuditOutcome.Failed }).Outcome);
    }

    [Fact]
    public void Serialize_AuditEvent_IsFhirJsonThatParsesBack()
    {
        string json = FhirAuditEventMapper.Serialize(_mapper.ToAuditEvent(Read()));

        var parsed = JsonSerializer.Deserialize<AuditEvent>(json, FhirJson)!;
        Assert.Contains("\"resourceType\":\"AuditEvent\"", json, StringComparison.Ordinal);
        Assert.Contains("\"recorded\":\"2026-01-05T10:00:00", json, StringComparison.Ordinal);
        Assert.Equal("Patient/patient-1", parsed.Entity[0].What.Reference);
    }

    [Fact]
    public void ToAuditEvent_RecordOfSeveralPatients_NamesEachPatientAsAnEntity()
    {
        AuditRecord record = Read() with { PatientId = null, PatientIds = ["patient-1", "patient-2", "patient-3"] };

        AuditEvent e = _mapper.ToAuditEvent(record);

        Assert.Equal(
            ["Patient/patient-1", "Patient/patient-2", "Patient/patient-3"],
            e.Entity.Where(x => x.Role?.Code == "1").Select(x => x.What.Reference));
    }

    [Fact]
    public void ToAuditEvent_RecordOfSeveralPatientsSeenFromOne_NamesOnlyThatPatient()
    {
        AuditRecord record = Read() with { PatientId = "patient-2", PatientIds = ["patient-1", "patient-2", "patient-3"] };

        AuditEvent e = _mapper.ToAuditEvent(record);

        Assert.Equal("Patient/patient-2", Assert.Single(e.Entity, x => x.Role?.Code == "1").What.Reference);
    }

    [Fact]
    public async Task WriteNdjsonAsync_Records_WritesOneParsableAuditEventPerLine()
    {
        AuditRecord[] records = [Read(), Read() with { RecordId = Guid.NewGuid(), Action = AuditAction.Update }];
        using var output = new MemoryStream();

        long written = await _mapper.WriteNdjsonAsync(records.ToAsyncEnumerable(), output);

        string[] lines = Encoding.UTF8.GetString(output.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, written);
        Assert.Equal(
            records.Select(r => r.RecordId.ToString("D")),
            lines.Select(l => JsonSerializer.Deserialize<AuditEvent>(l, FhirJson)!.Id));
    }

    [Fact]
    public async Task WriteBundleAsync_Records_WritesACollectionBundleThatParsesBack()
    {
        AuditRecord[] records = [.. Enumerable.Range(0, 300).Select(i => Read() with { RecordId = Guid.NewGuid(), RowCount = i })];
        using var output = new MemoryStream();

        long written = await _mapper.WriteBundleAsync(records.ToAsyncEnumerable(), output);

        var bundle = JsonSerializer.Deserialize<Bundle>(output.ToArray(), FhirJson)!;
        Assert.Equal(300, written);
        Assert.Equal(Bundle.BundleType.Collection, bundle.Type);
        Assert.Equal(records.Select(r => "urn:uuid:" + r.RecordId.ToString("D")), bundle.Entry.Select(x => x.FullUrl));
        Assert.All(bundle.Entry, x => Assert.IsType<AuditEvent>(x.Resource));
        Assert.Equal(300, _mapper.ToBundle(records).Entry.Count);
    }

    [Fact]
    public void Constructor_NoSourceObserver_Throws()
    {
        Assert.Throws<ArgumentException>(() => new FhirAuditEventMapper(" "));
    }

    private static AuditEvent.AgentComponent Agent(AuditEvent e, string system, string code) =>
        Assert.Single(e.Agent, a => a.Type.Coding.Any(c => c.System == system && c.Code == code));

    private static string DataAbsentReason(Element element) =>
        ((Code)Assert.Single(element.Extension, x => x.Url == "http://hl7.org/fhir/StructureDefinition/data-absent-reason").Value).Value;

    private static string[] Details(AuditEvent.EntityComponent entity, string type) =>
        [.. entity.Detail.Where(d => d.Type == type).Select(d => ((FhirString)d.Value).Value)];

    private static AuditRecord Read() => new()
    {
        RecordId = Guid.Parse("0190f5a2-c3d4-7e5f-8a6b-1c2d3e4f5a6b"),
        OccurredAt = new DateTimeOffset(2026, 1, 5, 10, 0, 0, TimeSpan.Zero),
        ActorId = "u-ther-1",
        ActorRoles = ["Therapist", "Supervisor"],
        ClientApplication = "ehr-web",
        PatientId = "patient-1",
        Action = AuditAction.Read,
        Entity = "Note",
        Categories = ["ProgressNote"],
        Labels = ["PSY", "SUD"],
        Fields = ["Text", "WrittenAt"],
        RedactedFields = ["Diagnosis"],
        PurposeOfUse = "TREAT",
        ClientAddress = "10.1.2.3",
        RequestId = "req-1",
        RecordKeys = ["42"],
        RowCount = 1,
    };
}
