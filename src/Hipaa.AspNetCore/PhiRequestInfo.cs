using System.Security.Claims;
using Hipaa.Policy;

namespace Hipaa.AspNetCore;

/// <summary>
/// Who asks and why, as read once per request from the principal, the claims, the headers and the care-team resolver;
/// cached in <c>HttpContext.Features</c> for the middleware and every PHI check of the request.
/// </summary>
internal sealed class PhiRequestInfo(
    ClaimsPrincipal principal,
    Actor actor,
    PurposeOfUse purpose,
    string? breakGlassReason,
    string? clientApplication,
    PhiRefusal? refusal)
{
    /// <summary>The principal this was read from; a check for another principal reads afresh.</summary>
    public ClaimsPrincipal Principal { get; } = principal;

    public Actor Actor { get; } = actor;

    /// <summary>The purpose of use; empty when the actor is not identified or shared, or when <see cref="Refusal"/> is set.</summary>
    public PurposeOfUse Purpose { get; } = purpose;

    public string? BreakGlassReason { get; } = breakGlassReason;

    public string? ClientApplication { get; } = clientApplication;

    /// <summary>Why the request is refused before the engine is asked, for an identified, unshared actor; otherwise <see langword="null"/>.</summary>
    public PhiRefusal? Refusal { get; } = refusal;

    /// <summary>Whether an access context can be begun: an identified, unshared actor with a purpose and no refusal.</summary>
    public bool CanBeginAccessContext => Actor.IsIdentified && !Actor.IsShared && Refusal is null && !Purpose.IsEmpty;
}
