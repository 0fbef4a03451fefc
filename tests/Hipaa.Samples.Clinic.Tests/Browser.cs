namespace Hipaa.Samples.Clinic.Tests;

/// <summary>Where the browser for the end-to-end tests is: <c>HIPAA_TEST_CHROMIUM</c>, else <c>/usr/bin/chromium</c>.</summary>
internal static class Browser
{
    public static string? ExecutablePath =>
        Environment.GetEnvironmentVariable("HIPAA_TEST_CHROMIUM") is { Length: > 0 } path && File.Exists(path) ? path
        : File.Exists("/usr/bin/chromium") ? "/usr/bin/chromium"
        : null;

    public static string RequireExecutablePath() =>
        ExecutablePath ?? throw new InvalidOperationException(
            "Chromium is not installed: run the tests with scripts/test.sh, which installs Debian's chromium (apt-get install -y chromium) and exports HIPAA_TEST_CHROMIUM.");
}
