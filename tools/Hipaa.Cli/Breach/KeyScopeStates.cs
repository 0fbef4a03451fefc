using Hipaa.Encryption;

namespace Hipaa.Cli.Breach;

/// <summary>
/// The data-key scopes of the key table and whether each is shredded, to find the scope a field's values are under for a patient:
/// the patient's key if the key table has one, else its column's key, else the application key — the order
/// <c>FieldEncryptionOptions.KeyScope</c> would have chosen, read from what the key table actually holds.
/// </summary>
internal sealed class KeyScopeStates
{
    private readonly Dictionary<string, bool> _shredded = new(StringComparer.Ordinal);

    public KeyScopeStates(IReadOnlyList<DataKeyRecord> keys)
    {
        foreach (IGrouping<string, DataKeyRecord> scope in keys.Where(k => k.Kind == DataKeyKind.Data).GroupBy(k => k.Scope, StringComparer.Ordinal))
        {
            _shredded[scope.Key] = scope.All(k => k.State == DataKeyState.Destroyed);
        }
    }

    public bool IsShredded(string scope) => _shredded.TryGetValue(scope, out bool shredded) && shredded;

    public string EffectiveScope(Cli.Inventory.PropertyInventory property, string patientId)
    {
        ArgumentNullException.ThrowIfNull(property);
        string column = property.ColumnScope ?? KeyScopes.Application;
        string[] candidates = property.KeyScope switch
        {
            "patient" => [KeyScopes.Patient(patientId), column, KeyScopes.Application],
            "app" => [KeyScopes.Application, column],
            _ => [column, KeyScopes.Application],
        };
        return candidates.FirstOrDefault(_shredded.ContainsKey) ?? candidates[0];
    }
}
