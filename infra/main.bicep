// AgentOps on Azure, for azd (azure.yaml at the repository root). Subscription scope: creates the resource group and
// deploys resources.bicep into it. Outputs become azd environment values (azd env get-values).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; resource names and tags derive from it.')
param environmentName string

@minLength(1)
@description('Region of every resource except the Static Web App. Flex Consumption must be offered there.')
@metadata({ azd: { type: 'location' } })
param location string

@description('Region of the Static Web App (offered in a few regions only).')
@allowed([ 'westus2', 'centralus', 'eastus2', 'westeurope', 'eastasia' ])
param staticWebAppLocation string = 'westeurope'

@description('Object id of the Postgres Entra administrator; azd passes whoever runs it (AZURE_PRINCIPAL_ID).')
param principalId string = ''

@description('Login name of that principal (user principal name, or group / app name). Empty: the deploying user\'s UPN.')
param principalName string = ''

@allowed([ 'User', 'Group', 'ServicePrincipal' ])
param principalType string = 'User'

@description('Optional public IP allowed through the Postgres firewall (to run migrations from a workstation).')
param postgresClientIp string = ''

@secure()
@description('AGENTOPS_JWT_SECRET: HMAC key of access tokens. azd generates it once and keeps it in the environment.')
@metadata({ azd: { type: 'generate', config: { length: 64, noSpecial: true } } })
param jwtSecret string

@secure()
@description('AGENTOPS_SECRETS_KEY (as base64 of these 32 characters): the master key that encrypts provider credentials at rest. azd generates it once and keeps it in the environment; losing it loses the stored credentials (docs/guardrails.md).')
@metadata({ azd: { type: 'generate', config: { length: 32, noSpecial: true } } })
param secretsKey string

@secure()
@description('Password of the Postgres password administrator (creates the database roles once; other administration uses Entra).')
@metadata({ azd: { type: 'generate', config: { length: 32, noSpecial: true, minLower: 2, minUpper: 2, minNumeric: 2 } } })
param postgresAdminPassword string

@secure()
@description('Password of the agentops_app login role the API connects as (created once by hand, see functions/AgentOps.Functions/README.md).')
@metadata({ azd: { type: 'generate', config: { length: 32, noSpecial: true } } })
param appDatabasePassword string

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
// The deploying identity fills in what azd did not pass (deployer(): Bicep 0.32+). A service principal has no UPN, so
// CI deployments skip the Entra administrator unless principalName is given.
var entraAdminId = !empty(principalId) ? principalId : deployer().objectId
var entraAdminName = !empty(principalName) ? principalName : deployer().userPrincipalName

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module resources 'resources.bicep' = {
  name: 'agentops-resources'
  scope: rg
  params: {
    location: location
    staticWebAppLocation: staticWebAppLocation
    tags: tags
    resourceToken: resourceToken
    principalId: entraAdminId
    principalName: entraAdminName
    principalType: principalType
    postgresClientIp: postgresClientIp
    jwtSecret: jwtSecret
    secretsKey: secretsKey
    postgresAdminPassword: postgresAdminPassword
    appDatabasePassword: appDatabasePassword
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output SERVICE_API_NAME string = resources.outputs.apiName
output SERVICE_API_URI string = resources.outputs.apiUri
output SERVICE_WEB_NAME string = resources.outputs.webName
output SERVICE_WEB_URI string = resources.outputs.webUri
output APPLICATIONINSIGHTS_CONNECTION_STRING string = resources.outputs.applicationInsightsConnectionString
output AZURE_STORAGE_ACCOUNT_NAME string = resources.outputs.storageAccountName
output AZURE_STORAGE_BLOB_ENDPOINT string = resources.outputs.storageBlobEndpoint
output INGEST_QUEUE_NAME string = resources.outputs.ingestQueueName
output POSTGRES_HOST string = resources.outputs.postgresHost
output POSTGRES_DATABASE string = resources.outputs.postgresDatabase
output POSTGRES_ADMIN_LOGIN string = resources.outputs.postgresAdminLogin
