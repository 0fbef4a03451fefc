// The sample clinic: a behavioral-health practice's web app on the public API of Hipaa.Sdk.
//   dotnet run --project samples/Hipaa.Samples.Clinic                      the web app (SQLite under ./.hipaa-sample)
//   dotnet run --project samples/Hipaa.Samples.Clinic -- demo              the story in the terminal
//   … -- --data DIR | --postgres "Host=…" | --urls http://127.0.0.1:5080   (HIPAA_SAMPLE_POSTGRES works too)
using Hipaa.Samples.Clinic;
using Hipaa.Samples.Clinic.Demo;
using Hipaa.Samples.Clinic.Web;

bool demo = args.Length > 0 && args[0] == "demo";
ClinicSettings settings;
try
{
    settings = ClinicSettings.Parse(demo ? args[1..] : args);
}
catch (ArgumentException bad)
{
    Console.Error.WriteLine(bad.Message);
    return 2;
}

if (demo)
{
    return await ClinicDemo.RunAsync(settings, Console.Out);
}

Console.WriteLine($"Preparing the sample clinic in {settings.DataDirectory} ({(settings.UsesPostgres ? "PostgreSQL" : "SQLite")}) …");
(WebApplication app, Uri address) = await ClinicWebApp.StartAsync(settings, step => Console.WriteLine("  seeding: " + step));
Console.WriteLine($"The sample clinic is running at {address} (environment {app.Environment.EnvironmentName}). Press Ctrl+C to stop.");
await app.WaitForShutdownAsync();
await app.DisposeAsync();
return 0;
