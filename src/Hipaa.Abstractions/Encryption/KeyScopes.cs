namespace Hipaa.Encryption;

/// <summary>The scope names stored in the key table.</summary>
internal static class KeyScopes
{
    public const string Root = "root";

    public const string Application = "app";

    public const string PatientPrefix = "patient:";

    /// <summary>The longest patient id a scope may hold (the key table's scope column holds 512 characters).</summary>
    public const int MaxPatientIdLength = 256;

    public static string Column(string table, string column) => $"column:{table}.{column}";

    /// <summary>
    /// The scope of one patient's data key. A patient id that is a <see cref="Guid"/> in any spelling (upper case, no
    /// hyphens, braces) is stored in its canonical form, lower-case <c>D</c> format — the form a <see cref="Guid"/>
    /// <c>[PatientId]</c> property is written in — so that every spelling names the same key. Other ids are kept as they are.
    /// </summary>
    public static string Patient(string patientId) => PatientPrefix + CanonicalPatientId(patientId);

    public static string Index(string table, string column) => $"index:{table}.{column}";

    /// <summary>A <see cref="Guid"/> id in its canonical form; any other id unchanged.</summary>
    public static string CanonicalPatientId(string patientId)
    {
        if (!Guid.TryParse(patientId, out var guid))
        {
            return patientId;
        }

        return IsCanonicalGuid(patientId) ? patientId : guid.ToString("D");
    }

    /// <summary>Why <paramref name="patientId"/> cannot name a patient's key, or <see langword="null"/> when it can. Never echoes the id.</summary>
    public static string? ProblemWithPatientId(string patientId)
    {
        if (patientId.Length == 0)
        {
            return "The patient id is empty.";
        }

        if (patientId.Length > MaxPatientIdLength)
        {
            return $"The patient id is {patientId.Length} characters long; at most {MaxPatientIdLength} are allowed.";
        }

        if (char.IsWhiteSpace(patientId[0]) || char.IsWhiteSpace(patientId[^1]))
        {
            return "The patient id starts or ends with white space; pass the value of the entity's [PatientId] property exactly (trim input you read).";
        }

        foreach (var c in patientId)
        {
            if (char.IsControl(c))
            {
                return "The patient id contains a control character (tab, new line, NUL, …); pass the value of the entity's [PatientId] property exactly.";
            }
        }

        return null;
    }

    private static bool IsCanonicalGuid(string text)
    {
        if (text.Length != 36)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (c is >= 'A' and <= 'F')
            {
                return false;
            }
        }

        return true;
    }
}
