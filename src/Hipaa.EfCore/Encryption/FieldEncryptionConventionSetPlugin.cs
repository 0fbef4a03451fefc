using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata.Conventions;
using Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure;

namespace Hipaa.EfCore.Encryption;

/// <summary>Adds <see cref="FieldEncryptionConvention"/> to the model's conventions when the context uses field encryption.</summary>
internal sealed class FieldEncryptionConventionSetPlugin(IDbContextOptions options) : IConventionSetPlugin
{
    public ConventionSet ModifyConventions(ConventionSet conventionSet)
    {
        if (HipaaContext.Encryption(options) is { } runtime)
        {
            conventionSet.Add(new FieldEncryptionConvention(runtime));
        }

        return conventionSet;
    }
}
