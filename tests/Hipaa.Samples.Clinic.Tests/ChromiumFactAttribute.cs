using Hipaa.Testing;

namespace Hipaa.Samples.Clinic.Tests;

/// <summary>
/// A fact that needs Debian's <c>chromium</c> (scripts/test.sh installs it and exports <c>HIPAA_TEST_CHROMIUM</c>). Without
/// it the test is skipped with this message; under CI (CI=true) it runs and fails, because the script must have provided it.
/// </summary>
internal sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (Browser.ExecutablePath is null && !TestEnvironment.IsCi)
        {
            Skip = "Chromium is not installed (/usr/bin/chromium): run scripts/test.sh, which installs Debian's chromium (under CI=true this test fails instead).";
        }
    }
}
