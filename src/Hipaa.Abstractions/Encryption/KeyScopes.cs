namespace Hipaa.Encryption;

/// <summary>The scope names stored in the key table.</summary>
internal static class KeyScopes
{
    public const string Root = "root";

    public const string Application = "app";

    public static string Column(string table, string column) => $"column:{table}.{column}";

    public static string Patient(string patientId) => $"patient:{patientId}";

    public static string Index(string table, string column) => $"index:{table}.{column}";
}
