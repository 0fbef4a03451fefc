using Hipaa.Samples.Clinic.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.Playwright;

namespace Hipaa.Samples.Clinic.Tests;

/// <summary>
/// The sample web app on Kestrel at 127.0.0.1 (a free port), seeded into a fresh data folder, and headless Chromium driven
/// by Playwright; shared by the browser tests. Screenshots go to <c>TestResults/screenshots/</c> in the test output folder.
/// </summary>
public sealed class ClinicAppFixture : IAsyncLifetime
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "hipaa-clinic-e2e-" + Guid.NewGuid().ToString("N"));
    private WebApplication? _app;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public Uri Address { get; private set; } = null!;

    public ClinicSettings Settings { get; private set; } = null!;

    public static string ScreenshotFolder { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    public async Task InitializeAsync()
    {
        if (Browser.ExecutablePath is null && !Hipaa.Testing.TestEnvironment.IsCi)
        {
            return; // the tests skip themselves with a message
        }

        Settings = ClinicSettings.Parse(["--data", _data, "--urls", "http://127.0.0.1:0"]);
        (_app, Address) = await ClinicWebApp.StartAsync(Settings);
        string chromium = Browser.RequireExecutablePath();
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = chromium, Headless = true, Args = ["--no-sandbox"] });
        Directory.CreateDirectory(ScreenshotFolder);
    }

    /// <summary>A fresh browser context (its own cookies) signed in as <paramref name="userId"/> through the sign-in picker.</summary>
    public async Task<IPage> SignInAsync(string userId)
    {
        IBrowserContext context = await (_browser ?? throw new InvalidOperationException(Browser.RequireExecutablePath())).NewContextAsync(new() { BaseURL = Address.ToString() });
        IPage page = await context.NewPageAsync();
        await page.GotoAsync("/");
        await page.ClickAsync($"button[data-user='{userId}']");
        await page.WaitForSelectorAsync("#signed-in-as");
        return page;
    }

    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotFolder, name + ".png"), FullPage = true });

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // a file still held open: the temp folder is cleaned by the system
        }
    }
}
