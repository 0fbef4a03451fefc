using Hipaa.Policy;

namespace Hipaa.Auditing;

/// <summary>
/// Who is accessing PHI, for what purpose and from where: the ambient context every audit record and every policy
/// decision is made from. It flows through async code (<see cref="AsyncLocal{T}"/>) and never leaks between parallel
/// requests. ASP.NET Core sets it per request; a console or background host sets it explicitly with
/// <see cref="Begin(AccessContext)"/> — for work no person asked for, with <see cref="ForSystem"/>.
/// </summary>
/// <example>
/// <code>
/// using (AccessContext.Begin(new AccessContext(actor, PurposeOfUse.Treatment) { ClientAddress = "10.0.0.7" }))
/// {
///     var notes = await db.Notes.Where(n =&gt; n.PatientId == id).ToListAsync();
/// }
/// </code>
/// </example>
public sealed class AccessContext
{
    private static readonly AsyncLocal<AccessContext?> Ambient = new();

    /// <summary>Initializes a new instance.</summary>
    /// <param name="actor">The actor; must have a unique user id.</param>
    /// <param name="purposeOfUse">The HL7 purpose of use.</param>
    /// <exception cref="ArgumentException">The actor has no unique user id, or the purpose is empty.</exception>
    public AccessContext(Actor actor, PurposeOfUse purposeOfUse)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.IsIdentified)
        {
            throw new ArgumentException("An access context needs an actor with a unique user id (45 CFR 164.312(a)(2)(i)); shared or anonymous principals cannot access PHI.", nameof(actor));
        }

        if (purposeOfUse.IsEmpty)
        {
            throw new ArgumentException("An access context needs a purpose of use (TREAT, HPAYMT, HOPERAT, ETREAT …).", nameof(purposeOfUse));
        }

        Actor = actor;
        PurposeOfUse = purposeOfUse;
    }

    /// <summary>Gets the context of the current async flow, or <see langword="null"/> when none was begun.</summary>
    public static AccessContext? Current => Ambient.Value;

    /// <summary>Gets the actor.</summary>
    public Actor Actor { get; }

    /// <summary>Gets the purpose of use.</summary>
    public PurposeOfUse PurposeOfUse { get; }

    /// <summary>Gets the client's network address, when known.</summary>
    public string? ClientAddress { get; init; }

    /// <summary>Gets the request or trace id, when known.</summary>
    public string? RequestId { get; init; }

    /// <summary>Gets the client application, when known.</summary>
    public string? ClientApplication { get; init; }

    /// <summary>Gets the emergency reason of a break-the-glass access (with purpose <c>ETREAT</c>).</summary>
    public string? BreakGlassReason { get; init; }

    /// <summary>
    /// Gets the patients the request was authorized for, when the host scopes it; <see langword="null"/> (the default) when
    /// it does not. With a scope, a read the policy denies of a row of a patient outside it is refused
    /// (<see cref="PhiAccessDeniedException"/>, after the denial is audited) instead of coming back redacted, whatever EF
    /// Core's <c>DeniedReads</c> says: a redacted row keeps its key and patient id, so it would tell the caller that another
    /// patient's record exists. ASP.NET Core's <c>UseHipaaAccessContext()</c> sets it to the route's patient, and to an empty
    /// scope when the route names none (a lookup by id), so that there every denied read is refused.
    /// </summary>
    public IReadOnlyList<string>? PatientScope { get; init; }

    /// <summary>Gets a value indicating whether this is a declared system actor rather than a person.</summary>
    public bool IsSystem { get; private init; }

    /// <summary>
    /// A context for work no person asked for (a nightly export, a migration). The actor id is <c>system:&lt;name&gt;</c>
    /// and is recorded as such; the host declares it explicitly, so an unattributed access never passes silently.
    /// </summary>
    /// <param name="name">The system actor's name, e.g. <c>"claims-export"</c>.</param>
    /// <param name="purposeOfUse">The purpose of use, e.g. <see cref="PurposeOfUse.Operations"/>.</param>
    /// <param name="roles">The roles the system actor holds for policy decisions.</param>
    /// <returns>The context; pass it to <see cref="Begin(AccessContext)"/>.</returns>
    public static AccessContext ForSystem(string name, PurposeOfUse purposeOfUse, params string[] roles)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return new AccessContext(new Actor("system:" + name, roles, "practice"), purposeOfUse) { IsSystem = true };
    }

    /// <summary>
    /// The context of key maintenance — <c>FieldEncryptionKeyManager.ReencryptAsync</c> and <c>EncryptExistingDataAsync</c>
    /// — with policy enforcement on: the system actor <c>system:&lt;name&gt;</c> with purpose
    /// <see cref="PurposeOfUse.SystemAdministration"/> (<c>HSYSADMIN</c>). The engine permits it to re-encrypt
    /// (<see cref="PhiAction.Reencrypt"/>, rule <c>maintenance.reencrypt</c>) and nothing else: an ordinary read or write
    /// under it is denied like any purpose no role fits. Its accesses are audited under that actor and purpose.
    /// </summary>
    /// <param name="name">The job's name, e.g. <c>"key-rotation"</c> (recorded as <c>system:key-rotation</c>).</param>
    /// <returns>The context; pass it to <see cref="Begin(AccessContext)"/> around the key manager's call.</returns>
    public static AccessContext ForKeyMaintenance(string name) => ForSystem(name, PurposeOfUse.SystemAdministration);

    /// <summary>Makes <paramref name="context"/> current for this async flow until the returned scope is disposed.</summary>
    /// <param name="context">The context.</param>
    /// <returns>A scope that restores the previous context when disposed.</returns>
    public static IDisposable Begin(AccessContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var previous = Ambient.Value;
        Ambient.Value = context;
        return new Scope(previous);
    }

    private sealed class Scope(AccessContext? previous) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (!_disposed)
            {
                _disposed = true;
                Ambient.Value = previous;
            }
        }
    }
}
