using Hipaa.Testing;

namespace Hipaa.Cli.Tests.Audit;

/// <summary>A theory that needs the PostgreSQL cluster the test script starts (as <see cref="PostgresFactAttribute"/>).</summary>
internal sealed class PostgresTheoryAttribute : TheoryAttribute
{
    public PostgresTheoryAttribute()
    {
        if (TestEnvironment.PostgresConnectionString is null && !TestEnvironment.IsCi)
        {
            Skip = "PostgreSQL is not available: run scripts/test.sh (under CI=true this test fails instead).";
        }
    }
}
