namespace Hipaa.EfCore.Auditing;

/// <summary>What the read auditing needs to know of one SQL command text: its fingerprint and the PHI tables it names.</summary>
/// <param name="Fingerprint">The lower-case hex SHA-256 of the command text (<see cref="AuditRuntime.Fingerprint"/>).</param>
/// <param name="Tables">The PHI entity types whose table the command names (<see cref="AuditRuntime.TablesIn"/>).</param>
internal sealed record AuditedCommand(string Fingerprint, IReadOnlyList<PhiEntityModel> Tables);
