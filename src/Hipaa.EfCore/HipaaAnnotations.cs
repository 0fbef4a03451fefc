using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Encryption;
using Hipaa.EfCore.Materialization;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Hipaa.EfCore;

/// <summary>
/// What the SDK derives from an entity type's metadata — its PHI and encryption models, its read hook, its author
/// property — kept as EF Core runtime annotations on the entity type itself: computed once per entity type of a model,
/// read without a dictionary lookup of our own, and released with the model. Each is derived from the entity type alone,
/// so applications (service providers) that share one model share them too.
/// </summary>
internal static class HipaaAnnotations
{
    private const string Phi = "Hipaa:PhiEntityModel";
    private const string Encryption = "Hipaa:EncryptedEntityModel";
    private const string ReadHook = "Hipaa:EntityReadHook";
    private const string Author = "Hipaa:AuthorIdProperty";

    public static PhiEntityModel? PhiModel(IEntityType entityType) =>
        entityType.GetOrAddRuntimeAnnotationValue(Phi, static type => PhiEntityModel.Create(type!), entityType);

    public static EncryptedEntityModel? EncryptionModel(IEntityType entityType) =>
        entityType.GetOrAddRuntimeAnnotationValue(Encryption, static type => EncryptedEntityModel.Create(type!), entityType);

    public static EntityReadHook? Hook(IEntityType entityType) =>
        entityType.GetOrAddRuntimeAnnotationValue(ReadHook, static type => EntityReadHook.Create(type!), entityType);

    public static IProperty? AuthorProperty(IEntityType entityType) =>
        entityType.GetOrAddRuntimeAnnotationValue(Author, static type => AuthorIdProperty.Find(type!), entityType);
}
