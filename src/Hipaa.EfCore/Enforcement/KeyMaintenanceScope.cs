using Hipaa.Policy;

namespace Hipaa.EfCore.Enforcement;

/// <summary>
/// Marks the async flow of a key-maintenance operation of <see cref="Encryption.FieldEncryptionKeyManager"/> (re-encryption,
/// encryption of existing data): while it lasts, the reads and updates the operation makes through the application's
/// context are decided as <see cref="PhiAction.Reencrypt"/> — which the engine permits for the system administration
/// purpose only — instead of as ordinary reads and updates. Only the key manager enters it; application code has no way to.
/// </summary>
internal static class KeyMaintenanceScope
{
    private static readonly AsyncLocal<bool> Active = new();

    /// <summary>Gets whether the current flow is inside a key-maintenance operation.</summary>
    public static bool IsActive => Active.Value;

    /// <summary>The action a policy decision is made for: a read or update inside key maintenance is a re-encryption.</summary>
    public static PhiAction Effective(PhiAction action) =>
        Active.Value && action is PhiAction.Read or PhiAction.Update ? PhiAction.Reencrypt : action;

    /// <summary>Enters the scope for this flow until the returned value is disposed.</summary>
    public static IDisposable Enter()
    {
        var previous = Active.Value;
        Active.Value = true;
        return new Exit(previous);
    }

    private sealed class Exit(bool previous) : IDisposable
    {
        public void Dispose() => Active.Value = previous;
    }
}
