using System.CommandLine;
using Hipaa.Cli.Inventory;
using Hipaa.Policy;

namespace Hipaa.Cli.Report;

/// <summary>
/// The <c>hipaa report</c> command group. <c>report safeguards --assembly PATH [--context TYPE] [--format markdown|json]</c>: the
/// inventory of an EHR's PHI, its encryption, audit coverage and the role matrix (docs/compliance-tools.md). Exit code 0: written;
/// 2: the assembly or context could not be loaded or its model built (the message says why).
/// </summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var assembly = new Option<string>("--assembly")
        {
            Description = "The EHR's built assembly that defines its DbContext (its folder must hold its dependencies and .deps.json).",
            Required = true,
        };
        var context = new Option<string>("--context")
        {
            Description = "The DbContext type (name or full name) to inventory (default: every DbContext of the assembly).",
        };
        var format = new Option<string>("--format")
        {
            Description = "The output format: markdown or json.",
            DefaultValueFactory = _ => "markdown",
        };
        format.AcceptOnlyFromAmong("markdown", "json");
        var safeguards = new Command(
            "safeguards",
            "An inventory an auditor can read: every PHI entity and property of the EHR's EF Core model with its data category, whether "
            + "it is encrypted and under which key scope, whether it is searchable, its audit coverage and patient attribution, and the "
            + "role matrix of the default policy catalog. Exit code 0: written; 2: the assembly or its model could not be loaded.")
        {
            assembly, context, format,
        };
        safeguards.SetAction(parsed => Safeguards(
            parsed.GetValue(assembly)!,
            parsed.GetValue(context),
            parsed.GetValue(format)!,
            parsed.InvocationConfiguration.Output,
            parsed.InvocationConfiguration.Error));
        return new Command("report", "Reports for auditors and compliance officers.") { safeguards };
    }

    public static int Safeguards(string assemblyPath, string? contextName, string format, TextWriter output, TextWriter error)
    {
        IReadOnlyList<ModelInventory> models;
        try
        {
            models = ApplicationModelLoader.Load(assemblyPath, contextName);
        }
        catch (InspectionException ex)
        {
            error.WriteLine(ex.Message);
            return ExitCodes.InvalidInput;
        }

        RoleMatrix matrix = RoleMatrix.From(RoleCatalog.CreateDefault());
        string name = Path.GetFileName(assemblyPath);
        if (format == "json")
        {
            SafeguardsReportWriter.WriteJson(output, name, models, matrix);
        }
        else
        {
            SafeguardsReportWriter.WriteMarkdown(output, name, models, matrix);
        }

        return ExitCodes.Success;
    }
}
