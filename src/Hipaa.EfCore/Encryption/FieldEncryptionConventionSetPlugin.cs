using Microsoft.EntityFrameworkCore.Metadata.Conventions;
using Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure;

namespace Hipaa.EfCore.Encryption;

/// <summary>Adds <see cref="FieldEncryptionConvention"/> to the model's conventions.</summary>
internal sealed class FieldEncryptionConventionSetPlugin(FieldEncryptionRuntime runtime) : IConventionSetPlugin
{
    public ConventionSet ModifyConventions(ConventionSet conventionSet)
    {
        conventionSet.Add(new FieldEncryptionConvention(runtime));
        return conventionSet;
    }
}
