## contrib/azureml: the image and job for Azure ML; contrib/target-check:
## the packages built and used in a Debian bullseye root. Not built by make.
EXTRA_DIST += \
	contrib/azureml/Dockerfile \
	contrib/azureml/README.md \
	contrib/azureml/dist.mk \
	contrib/azureml/environment.yml \
	contrib/azureml/job.yml \
	contrib/target-check
