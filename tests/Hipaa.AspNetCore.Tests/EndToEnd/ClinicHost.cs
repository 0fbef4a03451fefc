using Hipaa.Auditing;
using Hipaa.AspNetCore.Tests.Infrastructure;
using Hipaa.Encryption;
using Hipaa.Policy;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Hipaa.AspNetCore.Tests.EndToEnd;

/// <summary>
/// An EHR as a practice would run it: Kestrel on 127.0.0.1 (free port), PHI authorization on the patient endpoints,
/// the access context per request, and EF Core with field encryption, access auditing and policy enforcement over
/// <see cref="EndToEndDatabase"/>. The endpoints return what EF Core hands them — no masking of their own — so that the
/// responses show the enforcement of both layers. Every response carries the request id (HttpContext.TraceIdentifier)
/// in <see cref="RequestIdHeader"/>, refusals included, to find the request's audit records.
/// </summary>
public sealed class ClinicHost : IAsyncDisposable
{
    public const string RequestIdHeader = "X-Request-Id";

    private readonly WebApplication _app;

    private ClinicHost(WebApplication app, Uri address)
    {
        _app = app;
        Client = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = address };
    }

    public HttpClient Client { get; }

    public Uri Address => Client.BaseAddress!;

    public IServiceProvider Services => _app.Services;

    public static async Task<ClinicHost> StartAsync(EndToEndDatabase database, Func<ChartDb, Task> seed, Action<PhiAuthorizationOptions>? configurePhi = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { EnvironmentName = Environments.Development });
        builder.WebHost.UseKestrelCore().UseUrls("http://127.0.0.1:0");
        builder.Host.UseDefaultServiceProvider(o =>
        {
            o.ValidateScopes = true;
            o.ValidateOnBuild = true;
        });

        builder.Services.AddLogging();
        builder.Services.AddRouting();
        builder.Services.AddAuthentication(TestAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, TestAuthenticationHandler>(TestAuthenticationHandler.SchemeName, null);
        builder.Services.AddHipaa()
            .AddPhiAuthorization(o => configurePhi?.Invoke(o))
            .AddFieldEncryption(o => o.KeyScope = KeyScope.Patient)
            .UseLocalDevelopmentKey(database.KeyFile)
            .UseKeyStore(database.UseForKeys)
            .AddQueryAuditing()
            .UseAuditStore(database.Use)
            .UseLocalDevelopmentCheckpointSigner(database.KeyFile + ".signer.pem")
            .AddPolicyEnforcement();
        builder.Services.AddDbContext<ChartDb>((sp, options) =>
        {
            database.Use(options);
            options.UseHipaa(sp);
        });

        WebApplication app = builder.Build();
        app.Use((context, next) =>
        {
            context.Response.Headers[RequestIdHeader] = context.TraceIdentifier;
            return next(context);
        });
        app.UseRouting();
        app.UseAuthentication();
        app.UseHipaaAccessContext();
        app.UseAuthorization();
        MapPatientEndpoints(app);
        try
        {
            await using (AsyncServiceScope scope = app.Services.CreateAsyncScope())
            {
                ChartDb db = scope.ServiceProvider.GetRequiredService<ChartDb>();
                await db.Database.EnsureCreatedAsync();
                await seed(db);
            }

            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new ClinicHost(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static void MapPatientEndpoints(WebApplication app)
    {
        RouteGroupBuilder patient = app.MapGroup("/patients/{patientId:guid}");

        patient.MapGet("/demographics", async (Guid patientId, ChartDb db, CancellationToken cancellationToken) =>
            {
                Patient? found = await db.Patients.AsNoTracking().SingleOrDefaultAsync(p => p.Id == patientId, cancellationToken);
                return found is null
                    ? Results.NotFound()
                    : Results.Ok(new { patientId, found.Name, found.BirthDate, found.Ssn });
            })
            .RequireAuthorization(PhiPolicy.For(DataCategory.Demographics, PhiAction.Read));

        patient.MapGet("/progress-notes", async (Guid patientId, ChartDb db, CancellationToken cancellationToken) =>
            {
                List<ProgressNote> notes = await db.ProgressNotes.AsNoTracking().Where(n => n.PatientId == patientId).ToListAsync(cancellationToken);
                return Results.Ok(new
                {
                    patientId,
                    notes = notes.OrderBy(n => n.WrittenAt).Select(n => new { n.Id, n.WrittenBy, n.WrittenAt, n.Text }),
                });
            })
            .RequireAuthorization(PhiPolicy.For(DataCategory.ProgressNote, PhiAction.Read));

        patient.MapPost("/progress-notes", async (Guid patientId, NewProgressNote body, ChartDb db, TimeProvider time, CancellationToken cancellationToken) =>
            {
                // The body may name the patient; an endpoint that trusts it over the route (as this one does) writes to a
                // patient the authorization check never saw, and EF Core enforcement is the line that holds.
                var note = new ProgressNote
                {
                    Id = Guid.NewGuid(),
                    PatientId = body.PatientId ?? patientId,
                    WrittenBy = AccessContext.Current!.Actor.Id!,
                    WrittenAt = time.GetUtcNow(),
                    Text = body.Text,
                };
                db.ProgressNotes.Add(note);
                try
                {
                    await db.SaveChangesAsync(cancellationToken);
                }
                catch (PhiAccessDeniedException denied)
                {
                    return Results.Problem(
                        statusCode: StatusCodes.Status403Forbidden,
                        detail: denied.Decision!.Explanation,
                        extensions: new Dictionary<string, object?> { ["ruleId"] = denied.Decision.Rule.Id, ["citation"] = denied.Decision.Rule.Citation });
                }

                return Results.Created($"/patients/{note.PatientId}/progress-notes/{note.Id}", new { note.Id, note.PatientId });
            })
            .RequireAuthorization(PhiPolicy.For(DataCategory.ProgressNote, PhiAction.Create));

        // A lookup by id: the endpoint trusts the id and does not check that the note is the route's patient's.
        patient.MapGet("/progress-notes/{noteId:guid}", (Guid noteId, ChartDb db, CancellationToken cancellationToken) => FindNoteAsync(noteId, db, cancellationToken))
            .RequireAuthorization(PhiPolicy.For(DataCategory.ProgressNote, PhiAction.Read));

        // A disclosure decided for the record with IAuthorizationService (a resource check), before anything is read.
        patient.MapPost("/progress-notes/{noteId:guid}/disclosures", async (Guid patientId, Guid noteId, string recipient, HttpContext http, IAuthorizationService authorization) =>
            {
                var resource = new PhiResource(patientId.ToString(), DataCategory.ProgressNote) { Labels = [SensitivityLabel.SubstanceUseDisorder], Recipient = recipient };
                AuthorizationResult result = await authorization.AuthorizeAsync(http.User, resource, PhiOperations.Disclose);
                if (!result.Succeeded)
                {
                    return result.Failure!.FailureReasons.OfType<PhiAuthorizationFailureReason>().Single().Result.ToHttpResult();
                }

                return Results.Ok(new { noteId, recipient });
            })
            .RequireAuthorization();

        patient.MapGet("/medications", async (Guid patientId, ChartDb db, CancellationToken cancellationToken) =>
            {
                List<Prescription> prescriptions = await db.Prescriptions.AsNoTracking().Where(p => p.PatientId == patientId).ToListAsync(cancellationToken);
                return Results.Ok(new { patientId, medications = prescriptions.Select(p => new { p.Id, p.Drug, p.Dose }) });
            })
            .RequireAuthorization(PhiPolicy.For(DataCategory.Medication, PhiAction.Read));

        patient.MapGet("/claims", async (Guid patientId, ChartDb db, CancellationToken cancellationToken) =>
            {
                List<InsuranceClaim> claims = await db.Claims.AsNoTracking().Where(c => c.PatientId == patientId).ToListAsync(cancellationToken);
                return Results.Ok(new { patientId, claims = claims.Select(c => new { c.Id, c.ProcedureCode, c.DiagnosisCode, c.Payer, c.Amount }) });
            })
            .RequireAuthorization(PhiPolicy.Name(DataCategory.Claim, PhiAction.Read));

        patient.MapGet("/diagnoses", async (Guid patientId, ChartDb db, CancellationToken cancellationToken) =>
            {
                List<Diagnosis> diagnoses = await db.Diagnoses.AsNoTracking().Where(d => d.PatientId == patientId).ToListAsync(cancellationToken);
                return Results.Ok(new { patientId, diagnoses = diagnoses.Select(d => new { d.Id, d.Code, d.CodeSystem, d.Display, d.Narrative }) });
            })
            .RequireAuthorization(PhiPolicy.For(DataCategory.Diagnosis, PhiAction.Read));

        patient.MapGet("/psychotherapy-notes", async (Guid patientId, ChartDb db, CancellationToken cancellationToken) =>
            {
                List<PsychotherapyNote> notes = await db.PsychotherapyNotes.AsNoTracking().Where(n => n.PatientId == patientId).ToListAsync(cancellationToken);
                return Results.Ok(new { patientId, notes = notes.OrderBy(n => n.Id).Select(n => new { n.Id, n.AuthorId, n.Text }) });
            })
            .RequireAuthorization(PhiPolicy.For(DataCategory.PsychotherapyNote, PhiAction.Read));

        // A lookup by id with no patient in the route (a link, a search hit): the category check has no patient to decide for.
        app.MapGet("/progress-notes/{noteId:guid}", (Guid noteId, ChartDb db, CancellationToken cancellationToken) => FindNoteAsync(noteId, db, cancellationToken))
            .RequireAuthorization(PhiPolicy.For(DataCategory.ProgressNote, PhiAction.Read));
    }

    private static async Task<IResult> FindNoteAsync(Guid noteId, ChartDb db, CancellationToken cancellationToken)
    {
        ProgressNote? note = await db.ProgressNotes.AsNoTracking().SingleOrDefaultAsync(n => n.Id == noteId, cancellationToken);
        return note is null ? Results.NotFound() : Results.Ok(new { note.Id, note.PatientId, note.WrittenBy, note.Text });
    }
}

/// <summary>The body of <c>POST /patients/{patientId}/progress-notes</c>.</summary>
public sealed record NewProgressNote(string Text, Guid? PatientId = null);
