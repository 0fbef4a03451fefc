using Hipaa.Auditing;

namespace Hipaa.EfCore.Auditing;

/// <summary>What auditing needs to know of one SQL command text (see the raw SQL rules in docs/audit.md).</summary>
/// <param name="Fingerprint">The lower-case hex SHA-256 of the command text (<see cref="AuditRuntime.Fingerprint"/>).</param>
/// <param name="Tables">
/// The PHI tables whose rows a read of this command returns — what the read path records unattributed rows against.
/// Empty when the command touches no PHI, and when it is a write (audited as one, see <see cref="IsWrite"/>).
/// </param>
internal sealed record AuditedCommand(string Fingerprint, IReadOnlyList<PhiEntityModel> Tables)
{
    /// <summary>Gets what the command does to PHI; <see langword="null"/> when it touches no PHI table.</summary>
    public AuditAction? Action { get; init; }

    /// <summary>Gets every PHI table the command may touch (all of the model's when its text cannot be read).</summary>
    public IReadOnlyList<PhiEntityModel> Touched { get; init; } = [];

    /// <summary>
    /// Gets every PHI entity type mapped to the tables in <see cref="Touched"/>: several when they share a table
    /// (inheritance, table splitting), each with its own category — what a decision over those tables' rows must cover.
    /// </summary>
    public IReadOnlyList<PhiEntityModel> TouchedModels { get; init; } = [];

    /// <summary>
    /// Gets the PHI tables (of <see cref="Touched"/>) a write may change: the target of a single INSERT, UPDATE or DELETE
    /// when it is one (none when the target is not a PHI table: the others are only read), all of them when what the
    /// statement writes is not known.
    /// </summary>
    public IReadOnlyList<PhiEntityModel> Written { get; init; } = [];

    /// <summary>Gets the PHI table a single UPDATE or DELETE writes to, or <see langword="null"/>.</summary>
    public PhiEntityModel? Target { get; init; }

    /// <summary>
    /// Gets the command text with <c>RETURNING</c> the target's patient id added (trailing semicolons and comments
    /// dropped), when that is safe: a single UPDATE/DELETE of a PHI table with a patient id, without a RETURNING of its
    /// own, on a provider that supports it; otherwise <see langword="null"/> and the write is recorded unattributed.
    /// </summary>
    public string? ReturningCommandText { get; init; }

    /// <summary>Gets a value indicating whether the command writes (or may write) PHI: anything but a read.</summary>
    public bool IsWrite => Action is { } action && action != AuditAction.Read;
}
