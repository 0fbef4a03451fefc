namespace Hipaa.Cli.Breach;

/// <summary>The compromise being assessed.</summary>
/// <param name="Kind">A user account, a key or a time window.</param>
/// <param name="UserId">The compromised account's user id (<see cref="BreachTargetKind.User"/>).</param>
/// <param name="KeyId">The compromised key's id (<see cref="BreachTargetKind.Key"/>).</param>
/// <param name="From">The start of the window (required for a window; optional for a user: when the compromise began).</param>
/// <param name="To">The end of the window (as <paramref name="From"/>).</param>
internal sealed record BreachTarget(BreachTargetKind Kind, string? UserId, Guid? KeyId, DateTimeOffset? From, DateTimeOffset? To);
