using System.Globalization;
using System.Net;
using System.Text.Json;
using Hipaa.Auditing;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Task = System.Threading.Tasks.Task;

namespace Hipaa.Fhir;

/// <summary>
/// Maps audit records to FHIR R4 <see cref="AuditEvent"/> resources following the IHE Basic Audit Log Patterns (BALP 1.1.4):
/// one event per record with exactly one client agent, one server agent and the user as the requesting agent, the patient
/// and the data as entities, this system as the source observer. docs/audit.md ("FHIR R4 AuditEvent") has the
/// field-by-field table and the BALP profile each action follows.
/// </summary>
/// <remarks>
/// Reads, creates, updates and deletes follow BALP <c>Read</c>/<c>PatientRead</c>, <c>Create</c>/<c>PatientCreate</c>,
/// <c>Update</c>/<c>PatientUpdate</c> and <c>Delete</c>/<c>PatientDelete</c> (type <c>rest</c>, subtype the FHIR interaction,
/// the agent types and directions of each profile; the user, never a network device, carries no network). Disclosures follow
/// <c>PrivacyDisclosure.Source</c> (DICOM <c>110106</c> "Export", ISO 21089 <c>disclose</c>, this server the source agent,
/// the recipient the destination agent), exports the same pattern without the disclose subtype. Raw SQL has no BALP profile:
/// DICOM <c>110110</c> "Patient Record", action <c>E</c>, with the agents of a create. What the record does not know (the
/// client application, its address, a recipient's address) is marked with the FHIR <c>data-absent-reason</c> extension
/// (<c>unknown</c>) rather than left out. Every event also carries the SDK's own action code
/// (<c>urn:hipaa-sdk:audit-action</c>) so that nothing is lost in the mapping. Instances are thread-safe.
/// </remarks>
public sealed class FhirAuditEventMapper
{
    private static readonly JsonSerializerOptions FhirJson = new JsonSerializerOptions().ForFhir();
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    private readonly string _sourceObserver;
    private readonly string? _sourceSite;
    private readonly string _serverAddress;

    /// <summary>Initializes a new instance.</summary>
    /// <param name="sourceObserver">
    /// The system that recorded the events (BALP <c>source.observer</c> and the server agent), e.g. <c>"clinic-ehr"</c>.
    /// </param>
    /// <param name="sourceSite">The site of the system (e.g. a data center or practice location); optional.</param>
    /// <param name="serverAddress">
    /// The server's network address (BALP server agent <c>network</c>, required by every BALP profile): an IP address, a URI
    /// (e.g. <c>"https://ehr.example.org/fhir"</c>) or a host name. Defaults to <paramref name="sourceObserver"/> as a host name.
    /// </param>
    /// <exception cref="ArgumentException"><paramref name="sourceObserver"/> is empty or white space, or <paramref name="serverAddress"/> is white space.</exception>
    public FhirAuditEventMapper(string sourceObserver, string? sourceSite = null, string? serverAddress = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sourceObserver);
        if (serverAddress is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(serverAddress);
        }

        _sourceObserver = sourceObserver;
        _sourceSite = sourceSite;
        _serverAddress = serverAddress ?? sourceObserver;
    }

    /// <summary>Gets the identifier system of the actor ids (<c>agent.who.identifier.system</c>): <c>urn:hipaa-sdk:actor</c>.</summary>
    public static string ActorIdentifierSystem => "urn:hipaa-sdk:actor";

    /// <summary>Maps one audit record.</summary>
    /// <param name="record">The record.</param>
    /// <returns>The AuditEvent, whose <c>id</c> is the record id.</returns>
    public AuditEvent ToAuditEvent(AuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var auditEvent = new AuditEvent
        {
            Id = record.RecordId.ToString("D"),
            Type = EventType(record.Action),
            Subtype = Subtypes(record.Action),
            Action = Action(record.Action),
            Recorded = record.OccurredAt.ToUniversalTime(),
            Outcome = Outcome(record.Outcome),
            OutcomeDesc = OutcomeDescription(record),
            PurposeOfEvent = [Purpose(record.PurposeOfUse)],
            Source = new AuditEvent.SourceComponent
            {
                Observer = new ResourceReference { Display = _sourceObserver },
                Site = _sourceSite,
                Type = [AuditCodes.ApplicationServer],
            },
        };

        AddAgents(auditEvent, record);

        // A record of several patients (one query returning many patients' rows) names each of them, as BALP's query
        // events do; the same record seen from one patient (the who-accessed report) names that patient.
        IEnumerable<string> patients = record.PatientId is { } patientId ? [patientId] : record.PatientIds;
        foreach (string patient in patients)
        {
            auditEvent.Entity.Add(new AuditEvent.EntityComponent
            {
                What = new ResourceReference("Patient/" + patient),
                Type = AuditCodes.Person,
                Role = AuditCodes.PatientRole,
            });
        }

        auditEvent.Entity.Add(Data(record));
        if (record.RequestId is { } requestId)
        {
            auditEvent.Entity.Add(new AuditEvent.EntityComponent
            {
                What = new ResourceReference { Identifier = new Identifier { Value = requestId } },
                Type = AuditCodes.RequestId,
            });
        }

        return auditEvent;
    }

    /// <summary>Writes each record as an AuditEvent on its own line (FHIR NDJSON, as bulk data export uses).</summary>
    /// <param name="records">The records.</param>
    /// <param name="output">Receives UTF-8 NDJSON; not closed.</param>
    /// <param name="cancellationToken">Cancels the export.</param>
    /// <returns>The number of events written.</returns>
    public async Task<long> WriteNdjsonAsync(IAsyncEnumerable<AuditRecord> records, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(output);
        long written = 0;
        await foreach (AuditRecord record in records.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            await JsonSerializer.SerializeAsync(output, ToAuditEvent(record), FhirJson, cancellationToken).ConfigureAwait(false);
            await output.WriteAsync(NewLine, cancellationToken).ConfigureAwait(false);
            written++;
        }

        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return written;
    }

    /// <summary>
    /// Writes the records as one FHIR <c>collection</c> Bundle of AuditEvents (entries with <c>urn:uuid:</c> full URLs),
    /// streaming: the bundle is never held in memory whole.
    /// </summary>
    /// <param name="records">The records.</param>
    /// <param name="output">Receives the UTF-8 JSON bundle; not closed.</param>
    /// <param name="cancellationToken">Cancels the export.</param>
    /// <returns>The number of entries written.</returns>
    public async Task<long> WriteBundleAsync(IAsyncEnumerable<AuditRecord> records, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(output);
        long written = 0;
        var writer = new Utf8JsonWriter(output);
        await using (writer.ConfigureAwait(false))
        {
            writer.WriteStartObject();
            writer.WriteString("resourceType", "Bundle");
            writer.WriteString("type", "collection");
            writer.WriteStartArray("entry");
            await foreach (AuditRecord record in records.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                writer.WriteStartObject();
                writer.WriteString("fullUrl", "urn:uuid:" + record.RecordId.ToString("D"));
                writer.WritePropertyName("resource");
                JsonSerializer.Serialize(writer, ToAuditEvent(record), FhirJson);
                writer.WriteEndObject();
                written++;
                if (writer.BytesPending > 64 * 1024)
                {
                    await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        return written;
    }

    /// <summary>Maps the records to a collection Bundle in memory, for small sets (use <see cref="WriteBundleAsync"/> for exports).</summary>
    /// <param name="records">The records.</param>
    /// <returns>The bundle.</returns>
    public Bundle ToBundle(IEnumerable<AuditRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var bundle = new Bundle { Type = Bundle.BundleType.Collection };
        foreach (AuditRecord record in records)
        {
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = "urn:uuid:" + record.RecordId.ToString("D"),
                Resource = ToAuditEvent(record),
            });
        }

        return bundle;
    }

    /// <summary>Serializes a resource as FHIR JSON.</summary>
    /// <param name="resource">The resource.</param>
    /// <returns>The JSON text.</returns>
    public static string Serialize(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return JsonSerializer.Serialize(resource, FhirJson);
    }

    private static Coding EventType(AuditAction action) => action switch
    {
        AuditAction.Create or AuditAction.Read or AuditAction.Update or AuditAction.Delete => AuditCodes.Rest,
        AuditAction.Export or AuditAction.Disclose => AuditCodes.Export,
        _ => AuditCodes.PatientRecord,
    };

    private static List<Coding> Subtypes(AuditAction action)
    {
        var subtypes = new List<Coding>();
        switch (action)
        {
            case AuditAction.Create:
                subtypes.Add(new Coding(AuditCodes.RestfulInteraction, "create", "create"));
                break;
            case AuditAction.Read:
                subtypes.Add(new Coding(AuditCodes.RestfulInteraction, "read", "read"));
                break;
            case AuditAction.Update:
                subtypes.Add(new Coding(AuditCodes.RestfulInteraction, "update", "update"));
                break;
            case AuditAction.Delete:
                subtypes.Add(new Coding(AuditCodes.RestfulInteraction, "delete", "delete"));
                break;
            case AuditAction.Disclose:
                subtypes.Add(new Coding(AuditCodes.Iso21089Lifecycle, "disclose", "Disclose Record Lifecycle Event"));
                subtypes.Add(new Coding(AuditCodes.RestfulInteraction, "read", "read"));
                break;
            default:
                break;
        }

        subtypes.Add(new Coding(AuditCodes.SdkAction, action.ToString()));
        return subtypes;
    }

    private static AuditEvent.AuditEventAction Action(AuditAction action) => action switch
    {
        AuditAction.Create => AuditEvent.AuditEventAction.C,
        AuditAction.Update => AuditEvent.AuditEventAction.U,
        AuditAction.Delete => AuditEvent.AuditEventAction.D,
        AuditAction.Execute => AuditEvent.AuditEventAction.E,
        _ => AuditEvent.AuditEventAction.R,
    };

    private static AuditEvent.AuditEventOutcome Outcome(AuditOutcome outcome) => outcome switch
    {
        AuditOutcome.Success => AuditEvent.AuditEventOutcome.N0,
        AuditOutcome.Denied => AuditEvent.AuditEventOutcome.N4,
        _ => AuditEvent.AuditEventOutcome.N8,
    };

    private static string? OutcomeDescription(AuditRecord record) => record.Outcome switch
    {
        AuditOutcome.Success => null,
        AuditOutcome.Denied => record.Decision is null ? "Denied by policy." : "Denied by policy: " + record.Decision,
        _ => record.Decision is null ? "The access failed." : "The access failed: " + record.Decision,
    };

    private static CodeableConcept Purpose(string purposeOfUse) =>
        new() { Coding = [new Coding(AuditCodes.ActReason, purposeOfUse)] };

    /// <summary>The user, the client and the server (and for exports and disclosures the recipient), typed as the action's BALP profile asks.</summary>
    private void AddAgents(AuditEvent auditEvent, AuditRecord record)
    {
        switch (record.Action)
        {
            case AuditAction.Read:
                // BALP Read: the data flows to the client (Destination) from the server (Source); the user receives it.
                auditEvent.Agent.Add(User(record, AuditCodes.InformationRecipient));
                auditEvent.Agent.Add(Client(record, AuditCodes.DestinationRole));
                auditEvent.Agent.Add(Server(AuditCodes.SourceRole));
                break;
            case AuditAction.Delete:
                // BALP Delete: the client is the Application, the server the Custodian of the deleted data.
                auditEvent.Agent.Add(User(record, AuditCodes.Author));
                auditEvent.Agent.Add(Client(record, AuditCodes.Application));
                auditEvent.Agent.Add(Server(AuditCodes.Custodian));
                break;
            case AuditAction.Export:
            case AuditAction.Disclose:
                // BALP PrivacyDisclosure.Source: this server is the Source and the source observer; the recipient the Destination.
                auditEvent.Agent.Add(User(record, AuditCodes.InformationRecipient));
                auditEvent.Agent.Add(Server(AuditCodes.SourceRole));
                if (record.Action == AuditAction.Export && record.Recipient is null)
                {
                    auditEvent.Agent.Add(Client(record, AuditCodes.DestinationRole));
                }
                else
                {
                    auditEvent.Agent.Add(Client(record, AuditCodes.Application));
                    auditEvent.Agent.Add(new AuditEvent.AgentComponent
                    {
                        Type = new CodeableConcept { Coding = [AuditCodes.DestinationRole] },
                        Who = record.Recipient is { } recipient ? new ResourceReference { Display = recipient } : Unknown(new ResourceReference()),
                        Requestor = false,
                        Network = Unknown(new AuditEvent.NetworkComponent()),
                    });
                }

                break;
            default:
                // BALP Create and Update (and raw SQL, which has no profile): the request flows from the client (Source)
                // to the server (Destination); the user is its author.
                auditEvent.Agent.Add(User(record, AuditCodes.Author));
                auditEvent.Agent.Add(Client(record, AuditCodes.SourceRole));
                auditEvent.Agent.Add(Server(AuditCodes.DestinationRole));
                break;
        }
    }

    /// <summary>The user: requestor, identified by the actor id; no network (BALP: users are not network devices).</summary>
    private static AuditEvent.AgentComponent User(AuditRecord record, Coding type) => new()
    {
        Type = new CodeableConcept { Coding = [type] },
        Who = new ResourceReference { Identifier = new Identifier(ActorIdentifierSystem, record.ActorId) },
        Requestor = true,
        Role = [.. record.ActorRoles.Select(role => new CodeableConcept { Coding = [new Coding(AuditCodes.SdkRole, role)], Text = role })],
        PurposeOfUse = [Purpose(record.PurposeOfUse)],
    };

    /// <summary>The client application the access came through, at the client's network address.</summary>
    private static AuditEvent.AgentComponent Client(AuditRecord record, Coding type) => new()
    {
        Type = new CodeableConcept { Coding = [type] },
        Who = record.ClientApplication is { } client ? new ResourceReference { Display = client } : Unknown(new ResourceReference()),
        Requestor = false,
        Network = record.ClientAddress is { } address ? Network(address) : Unknown(new AuditEvent.NetworkComponent()),
    };

    /// <summary>This system: the same reference as <c>source.observer</c>, at the server's address.</summary>
    private AuditEvent.AgentComponent Server(Coding type) => new()
    {
        Type = new CodeableConcept { Coding = [type] },
        Who = new ResourceReference { Display = _sourceObserver },
        Requestor = false,
        Network = Network(_serverAddress),
    };

    private static AuditEvent.NetworkComponent Network(string address) => new()
    {
        Address = address,
        Type = IPAddress.TryParse(address, out _) ? AuditEvent.AuditEventAgentNetworkType.N2
            : address.Contains("://", StringComparison.Ordinal) ? AuditEvent.AuditEventAgentNetworkType.N5
            : AuditEvent.AuditEventAgentNetworkType.N1,
    };

    /// <summary>Marks an element BALP requires but the record does not know with <c>data-absent-reason</c> <c>unknown</c>.</summary>
    private static T Unknown<T>(T element)
        where T : Element
    {
        element.Extension.Add(new Extension(AuditCodes.DataAbsentReason, new Code("unknown")));
        return element;
    }

    private static AuditEvent.EntityComponent Data(AuditRecord record)
    {
        var entity = new AuditEvent.EntityComponent
        {
            What = new ResourceReference
            {
                Display = record.Entity,
                Identifier = record.RecordKeys.Count == 1 ? new Identifier(AuditCodes.SdkEntity + ":" + record.Entity, record.RecordKeys[0]) : null,
            },
            Type = AuditCodes.SystemObject,
            Role = AuditCodes.DomainResourceRole,
            Name = record.Entity,
            Description = record.Description,
            SecurityLabel = [.. record.Labels.Select(label => new Coding(AuditCodes.ActCode, label))],
        };
        AddDetail(entity, "categories", record.Categories);
        AddDetail(entity, "fields", record.Fields);
        AddDetail(entity, "redactedFields", record.RedactedFields);
        AddDetail(entity, "recordKeys", record.RecordKeys);
        AddDetail(entity, "queryFingerprint", record.QueryFingerprint);
        AddDetail(entity, "rowCount", record.RowCount.ToString(CultureInfo.InvariantCulture));
        AddDetail(entity, "decision", record.Decision);
        AddDetail(entity, "breakGlassReason", record.BreakGlassReason);
        return entity;
    }

    private static void AddDetail(AuditEvent.EntityComponent entity, string type, IReadOnlyList<string> values)
    {
        foreach (string value in values)
        {
            AddDetail(entity, type, value);
        }
    }

    private static void AddDetail(AuditEvent.EntityComponent entity, string type, string? value)
    {
        if (value is not null)
        {
            entity.Detail.Add(new AuditEvent.DetailComponent { Type = type, Value = new FhirString(value) });
        }
    }
}
