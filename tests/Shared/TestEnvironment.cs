namespace Hipaa.Testing;

/// <summary>
/// What the test script (scripts/test.sh) provides: a throwaway PostgreSQL cluster and a SoftHSM2 token, announced
/// through environment variables. Outside CI a test whose component is missing is reported as skipped (visibly, with
/// the reason); under CI (CI=true) it runs and fails, because the script must have provided it.
/// </summary>
internal static class TestEnvironment
{
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static string? PostgresConnectionString => Environment.GetEnvironmentVariable("HIPAA_TEST_POSTGRES");

    public static string? Pkcs11Library => Environment.GetEnvironmentVariable("HIPAA_TEST_PKCS11_LIBRARY");

    public static string Pkcs11TokenLabel => Environment.GetEnvironmentVariable("HIPAA_TEST_PKCS11_TOKEN") ?? "hipaa-test";

    public static string Pkcs11Pin => Environment.GetEnvironmentVariable("HIPAA_TEST_PKCS11_PIN") ?? "1234";

    public static string RequirePostgres() =>
        PostgresConnectionString ?? throw new InvalidOperationException(
            "HIPAA_TEST_POSTGRES is not set. Run the tests with scripts/test.sh, which starts a throwaway PostgreSQL cluster.");

    public static string RequirePkcs11Library() =>
        Pkcs11Library ?? throw new InvalidOperationException(
            "HIPAA_TEST_PKCS11_LIBRARY is not set. Run the tests with scripts/test.sh, which installs SoftHSM2 and initialises a token.");
}

/// <summary>A fact that needs the PostgreSQL cluster the test script starts.</summary>
internal sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (TestEnvironment.PostgresConnectionString is null && !TestEnvironment.IsCi)
        {
            Skip = "PostgreSQL is not available: run scripts/test.sh (under CI=true this test fails instead).";
        }
    }
}

/// <summary>A fact that needs the SoftHSM2 token the test script initialises.</summary>
internal sealed class Pkcs11FactAttribute : FactAttribute
{
    public Pkcs11FactAttribute()
    {
        if (TestEnvironment.Pkcs11Library is null && !TestEnvironment.IsCi)
        {
            Skip = "SoftHSM2 is not available: run scripts/test.sh (under CI=true this test fails instead).";
        }
    }
}
