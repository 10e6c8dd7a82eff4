from oocana import ServiceContextAbstractClass


def setup(service: ServiceContextAbstractClass):
    service.waiting_ready_notify = False
